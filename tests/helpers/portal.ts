import { afterAll, beforeAll } from "vitest";
import { customers } from "./customer";
import { livePortal, type PortalOptions } from "./live-portal";

/**
 * The file's portal (see ./live-portal): `const { app, mail, sms, probe, customer } = usePortal({ env,
 * accounts, sms, clients: { ip: "10.3" } })`. `customer` is the customer driver (./customer) on it,
 * its clients presenting addresses under `clients.ip`.
 */
export function usePortal(options: PortalOptions & { clients?: Parameters<typeof customers>[1]; timeout?: number } = {}) {
  const world = livePortal({ beforeAll: (fn) => beforeAll(fn, options.timeout ?? 120_000), afterAll }, options);
  return { ...world, customer: customers(() => world, options.clients ?? { ip: "10.0" }) };
}
