import { test as base, expect } from "@playwright/test";
import { startApp, type TestApp } from "../helpers/app";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

/** One portal and one real SMTP server per Playwright worker. */
export const test = base.extend<{ baseURL: string }, { portal: { app: TestApp; mail: SmtpSink } }>({
  portal: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const mail = await startSmtpSink();
      const app = await startApp({ smtpUrl: mail.url });
      await use({ app, mail });
      await app.stop();
      await mail.close();
    },
    { scope: "worker", timeout: 60_000 },
  ],
  baseURL: async ({ portal }, use) => {
    await use(portal.app.origin);
  },
});

export { expect };

let counter = 0;
/** A unique username per test so tests sharing a worker's portal never collide. */
export function uniqueName(prefix = "user"): string {
  counter++;
  return `${prefix}${process.pid % 1000}${Date.now() % 100000}${counter}`;
}
