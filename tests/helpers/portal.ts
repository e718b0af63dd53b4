import { afterAll, beforeAll } from "vitest";
import { livePortal, type PortalOptions } from "./live-portal";

/** The file's portal (see ./live-portal): `const { app, mail, sms } = usePortal({ env, accounts, sms })`. */
export function usePortal(options: PortalOptions & { timeout?: number } = {}) {
  return livePortal({ beforeAll: (fn) => beforeAll(fn, options.timeout ?? 120_000), afterAll }, options);
}
