import { addAccounts, startApp, type NewAccount, type TestApp } from "./app";
import { probes } from "./probes";
import { startSmtpSink, type SmtpSink } from "./smtp-sink";
import { startSmsReceiver, type SmsReceiver } from "./sms-receiver";

/**
 * One test file's portal, for vitest (`usePortal` in ./portal) and Playwright (`ownPortal` in
 * tests/e2e/fixtures): starts a real SMTP sink (and, with `sms`, a webhook SMS receiver the portal
 * sends to), then the portal, then creates `accounts` and runs `setup`, all in the file's
 * `beforeAll`; its `afterAll` stops everything it started.
 *
 * It returns live handles `{ app, mail, sms }` usable at module level (in drivers, probes and tests):
 * each forwards to the running object and throws if touched before `beforeAll` has started it; and
 * `probe`, the probes (./probes) on that portal's database.
 */

export type PortalOptions = {
  env?: Record<string, string>;
  accounts?: NewAccount[];
  /** A webhook SMS receiver (SMS_PROVIDER=webhook) checking this secret; `path` defaults to /hook. */
  sms?: { secret: string; path?: string };
  /** `false`: no SMTP sink, so the portal keeps its development mailbox. */
  mail?: boolean;
  /** More arranging once the portal runs and the accounts exist (staff, passwords…). */
  setup?: () => Promise<void>;
};

type Hooks = { beforeAll: (fn: () => Promise<void>) => void; afterAll: (fn: () => Promise<void>) => void };

export function livePortal(hooks: Hooks, options: PortalOptions) {
  const running: { app?: TestApp; mail?: SmtpSink; sms?: SmsReceiver } = {};
  hooks.beforeAll(async () => {
    const sms = options.sms;
    [running.mail, running.sms] = await Promise.all([
      options.mail === false ? undefined : startSmtpSink(),
      sms ? startSmsReceiver({ webhookSecret: sms.secret }) : undefined,
    ]);
    const smsEnv: Record<string, string> = sms ? { SMS_PROVIDER: "webhook", SMS_WEBHOOK_URL: `${running.sms!.url}${sms.path ?? "/hook"}`, SMS_WEBHOOK_SECRET: sms.secret } : {};
    running.app = await startApp({ smtpUrl: running.mail?.url, env: { ...smsEnv, ...options.env } });
    if (options.accounts?.length) await addAccounts(running.app, options.accounts);
    await options.setup?.();
  });
  hooks.afterAll(async () => {
    await running.app?.stop();
    await Promise.all([running.mail?.close(), running.sms?.close()]);
  });
  const app = live("portal", () => running.app);
  return { app, mail: live("SMTP sink", () => running.mail), sms: live("SMS receiver", () => running.sms), probe: probes(() => app) };
}

/** A stand-in that forwards every property to the object `get` returns once it exists. */
function live<T extends object>(what: string, get: () => T | undefined): T {
  const target = () => get() ?? fail(`the ${what} is not running (it starts in beforeAll)`);
  return new Proxy({} as T, {
    get(_, key) {
      const t = target();
      const value = Reflect.get(t, key);
      return typeof value === "function" ? value.bind(t) : value;
    },
    set: (_, key, value) => Reflect.set(target(), key, value),
    has: (_, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(target(), key);
      return d && { ...d, configurable: true };
    },
  });
}

function fail(message: string): never {
  throw new Error(message);
}
