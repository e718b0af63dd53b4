/**
 * The bench's SMTP sink in a process of its own, as a real mail server would be: in the bench's
 * own process its replies waited behind autocannon's work, which added seconds to request →
 * SMTP-accepted under load that were not the portal's. Arrival times are taken in the sink's
 * process (epoch milliseconds) and returned on the bench's `performance.now()` scale.
 */
import { fork, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";

export type SunkMail = { to: string[]; messageId: string | undefined; receivedAt: number };
export type SinkProcess = { url: string; pid: number; messages: SunkMail[]; cpuMs: () => number; close: () => Promise<void> };

type FromChild = { port: number } | { to: string[]; messageId?: string; at: number };

if (process.env.SMTP_SINK_CHILD) {
  const { startSmtpSink } = await import("../tests/helpers/smtp-sink");
  const sink = await startSmtpSink(0, { parse: false });
  let sent = 0;
  const forward = () => {
    for (; sent < sink.messages.length; sent++) {
      const m = sink.messages[sent]!;
      process.send!({ to: m.to, messageId: m.messageId, at: performance.timeOrigin + m.receivedAt } satisfies FromChild);
    }
  };
  setInterval(forward, 5);
  process.send!({ port: sink.port } satisfies FromChild);
  // A bench that dies without closing the sink must not leave it running.
  process.on("disconnect", () => process.exit(0));
  process.on("message", async () => {
    forward();
    await sink.close();
    process.exit(0);
  });
}

export async function startSmtpSinkProcess(): Promise<SinkProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, SMTP_SINK_CHILD: "1" },
    execArgv: ["--import", "tsx"],
  });
  const messages: SunkMail[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.on("message", (m: FromChild) => {
      if ("port" in m) resolve(m.port);
      else messages.push({ to: m.to, messageId: m.messageId, receivedAt: m.at - performance.timeOrigin });
    });
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    pid: child.pid!,
    messages,
    cpuMs() {
      const fields = fs.readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    close: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.send("close");
      }),
  };
}
