import { freePort, startApp, type TestApp } from "./app";
import { startSmtpSink, type SmtpSink } from "./smtp-sink";
import { startSmsReceiver, type SmsReceiver } from "./sms-receiver";

export type ProductionPortal = { app: TestApp; mail: SmtpSink; sms: SmsReceiver; origin: string; host: string; stop: () => Promise<void> };

/**
 * The portal as deployed: NODE_ENV=production, no test hooks, a real SMTP sink and a webhook SMS
 * receiver, and an https APP_ORIGIN naming the port the test talks plain http to (the Host check
 * compares host and port only), so the production rules run as they are, without
 * ALLOW_INSECURE_ORIGIN.
 */
export async function startProductionApp(options: { webhookSecret: string; env?: Record<string, string> }): Promise<ProductionPortal> {
  const mail = await startSmtpSink();
  const sms = await startSmsReceiver({ webhookSecret: options.webhookSecret });
  const port = await freePort();
  const app = await startApp({
    smtpUrl: mail.url,
    env: {
      NODE_ENV: "production",
      TEST_HOOKS: "0",
      PORT: String(port),
      APP_ORIGIN: `https://localhost:${port}`,
      SMS_PROVIDER: "webhook",
      SMS_WEBHOOK_URL: `${sms.url}/sms`,
      SMS_WEBHOOK_SECRET: options.webhookSecret,
      ...options.env,
    },
  });
  const origin = app.env.APP_ORIGIN;
  return {
    app,
    mail,
    sms,
    origin,
    host: new URL(origin).host,
    stop: async () => {
      await app.stop();
      await mail.close();
      await sms.close();
    },
  };
}
