import crypto from "node:crypto";
import fs from "node:fs";
import { ConfigError, loadConfig, type Config } from "~/config.server";
import { connect, migrate, openPostgres, type Connection } from "~/db/db.server";
import { copySqliteToPostgres } from "~/db/copy.server";
import { inTransaction, type RequestContext } from "~/context.server";
import { createOperatorServices } from "./services";
import { runWorker } from "./worker";
import { createLogger } from "~/log.server";
import { AccountError, createUser, insertUser, prepareUser, findUserById, findUserByUsername, type User } from "~/accounts/accounts.server";
import { setAccountStatus } from "~/accounts/status.server";
import { changeStaffRole, changeStaffStatus, createStaff, findStaffByEmail, isStaffRole, liftStaffLock } from "~/support/staff.server";
import { attachAudit, exportAudit, parseCheckpoint, verifyAuditChain } from "~/audit/audit.server";
import { recordEvent } from "~/audit/events.server";
import { listLocks } from "~/lockout/lockout.server";
import { lockAccountByStaff, unlockAccountByStaff } from "~/notices/account-locks.server";
import { parseCsv } from "./csv";
import { feedbackCsv, parseRange } from "~/support/reports.server";
import { feedbackBetween } from "~/stores/feedback.store";
import { addWebhook, listWebhooks, removeWebhook, rotateWebhook } from "~/support/webhooks.server";
import { ApiKeyError, createApiKey, listApiKeys, revokeApiKey } from "~/api/keys.server";

/**
 * Operator commands: `npm run portal -- <command>`. Every failure prints one line to stderr and
 * exits non-zero; success prints one line (or the requested data) to stdout.
 */

class UsageError extends Error {}

const USAGE = `usage: npm run portal -- <command>
  migrate
  worker                                     (sends queued messages until SIGTERM; SMTP_URL required)
  user add --username U --email E [--phone P] [--password-stdin] [--unverified]
  user import FILE.csv [--unverified]          (header: username,email,phone)
  user disable USERNAME | user enable USERNAME
  user lock USERNAME --reason staff [--note TEXT]   (the customer is told; lifted only by user unlock or staff)
  user unlock USERNAME [--note TEXT]          (ends every open lock of the account)
  staff add --email E --name N [--role agent|supervisor|admin] [--password-stdin]   (without --role: agent)
  staff role --email E --role agent|supervisor|admin
  staff disable --email E | staff enable --email E   (disable ends their sessions at once)
  staff unlock --email E [--note TEXT]       (after 10 wrong authenticator codes)
  locks list [--user USERNAME]
  audit verify [--since-checkpoint SEQ:HASH]   (SEQ:HASH from an audit_checkpoint log line)
  audit export
  mail test --to ADDRESS
  feedback export [--from YYYY-MM-DD --to YYYY-MM-DD]   ("How easy was this?" answers as CSV; default the last 30 days, UTC)
  db copy --to postgres://… [--batch-rows N]  (this SQLite database into an empty PostgreSQL one)
  webhook add --url URL --events TYPE,TYPE|*   (prints "id: …" and "secret: whsec_…"; the secret is shown once)
  webhook list
  webhook remove ID
  webhook rotate-secret ID                   (prints the new "secret: …"; the old one also signs for 24 h)
  api-key create --name N --scopes accounts:read,accounts:write   (prints "id: …" and "key: rp_live_…"; the key is shown once)
  api-key list                               (ids, names, scopes, last use; never a key)
  api-key revoke ID`;

type Flags = { values: Record<string, string>; switches: Set<string>; positional: string[] };

function parseFlags(args: string[], valued: string[], switches: string[]): Flags {
  const out: Flags = { values: {}, switches: new Set(), positional: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith("--")) {
      const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
      if (valued.includes(name)) {
        const v = inline ?? args[++i];
        if (v === undefined || v.startsWith("--")) throw new UsageError(`--${name} needs a value`);
        out.values[name] = v;
      } else if (switches.includes(name)) {
        out.switches.add(name);
      } else {
        throw new UsageError(`unknown option --${name}`);
      }
    } else {
      out.positional.push(a);
    }
  }
  return out;
}

function need(flags: Flags, name: string): string {
  const v = flags.values[name];
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}

/** Reads the whole of stdin; one trailing newline (LF or CRLF) is not part of the password. */
async function readPasswordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError("--password-stdin expects the password on standard input");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  if (text.length === 0) throw new UsageError("no password on standard input");
  return text;
}

/**
 * The context an operator command runs domain functions in: the same functions the web calls,
 * acting as the operator. Its id stays "cli", as in every audit row and staff history line written
 * so far (the console shows the latter). The logger is silent: stdout is the command's answer.
 */
function operatorContext(config: Config, connection: Connection): RequestContext {
  return {
    services: createOperatorServices(config, connection, createLogger("silent")),
    actor: { type: "operator", id: "cli" },
    nonce: "",
    requestId: crypto.randomUUID(),
    clientIp: "cli",
    clientKey: "cli",
    userAgent: "portal-cli",
    locale: config.defaultLocale,
  };
}

const CLI_BUSY_TIMEOUT_MS = 30_000;

async function run(argv: string[], config: Config): Promise<void> {
  const [group, sub, ...rest] = argv;
  if (group === "db" && config.databaseUrl) throw new UsageError("db copy reads the SQLite database at DATABASE_PATH: unset DATABASE_URL and name the target with --to");
  // A running portal under full load holds SQLite's write lock for most of each turn of its event
  // loop (group commit, docs/decisions/0027): a command waits longer for it rather than fail.
  const connection = connect(config, { busyTimeoutMs: CLI_BUSY_TIMEOUT_MS });
  const { db } = connection;
  try {
    if (group === "migrate") {
      const applied = await migrate(connection);
      await attachAudit(db, { secretKey: config.secretKey, migrated: applied });
      console.log(applied.length ? `applied ${applied.join(", ")}` : "database is up to date");
      return;
    }
    const migrated = await migrate(connection);
    // Every append (recordEvent included) goes through audit(): HMAC-chained, in a write transaction (L6).
    await attachAudit(db, { secretKey: config.secretKey, migrated });
    if (group === "worker") {
      if (sub !== undefined) throw new UsageError(`unexpected argument ${sub}`);
      await runWorker(config, connection);
      return;
    }
    const context = operatorContext(config, connection);
    const createOptions = {
      now: context.services.clock.now(),
      policy: config.password,
      appName: config.appName,
      defaultRegion: config.defaultPhoneRegion,
    };

    if (group === "user" && sub === "add") {
      const f = parseFlags(rest, ["username", "email", "phone"], ["password-stdin", "unverified"]);
      if (f.positional.length) throw new UsageError(`unexpected argument ${f.positional[0]}`);
      const password = f.switches.has("password-stdin") ? await readPasswordFromStdin() : null;
      const user = await createUser(
        db,
        { username: need(f, "username"), email: need(f, "email"), phone: f.values.phone ?? null, password, verified: !f.switches.has("unverified") },
        createOptions,
      );
      await recordEvent(context, { event: "account_created", outcome: "success", userId: user.id, details: { via: "cli", with_password: Boolean(password) } });
      console.log(`created user ${user.username}${password ? "" : " (no password: can only enter through recovery)"}`);
      return;
    }

    if (group === "user" && sub === "import") {
      const f = parseFlags(rest, [], ["unverified"]);
      const file = f.positional[0];
      if (!file || f.positional.length > 1) throw new UsageError("user import needs exactly one CSV file");
      if (!fs.existsSync(file)) throw new UsageError(`file not found: ${file}`);
      const rows = parseCsv(fs.readFileSync(file, "utf8"));
      const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase());
      if (header[0] !== "username" || header[1] !== "email" || (header.length > 2 && header[2] !== "phone") || header.length > 3) {
        throw new UsageError("CSV header must be: username,email,phone");
      }
      const users: User[] = [];
      const seen = new Set<string>();
      for (const [i, cols] of rows.entries()) {
        if (cols.length === 1 && cols[0].trim() === "") continue; // blank line
        const line = i + 2;
        try {
          const user = await prepareUser(
            db,
            { username: cols[0] ?? "", email: cols[1] ?? "", phone: cols[2]?.trim() || null, verified: !f.switches.has("unverified") },
            createOptions,
          );
          if (seen.has(user.username)) throw new AccountError(`username "${user.username}" appears twice in the file`);
          seen.add(user.username);
          users.push(user);
        } catch (err) {
          if (err instanceof AccountError) throw new AccountError(`line ${line}: ${err.message}`);
          throw err;
        }
      }
      // All or nothing: one bad line imports none.
      await inTransaction(context, async (tx) => {
        for (const u of users) await insertUser(tx.services.db, u);
        await recordEvent(tx, { event: "accounts_imported", outcome: "success", userId: null, details: { via: "cli", count: users.length } });
      });
      console.log(`imported ${users.length} user${users.length === 1 ? "" : "s"}`);
      return;
    }

    if (group === "user" && (sub === "disable" || sub === "enable")) {
      const f = parseFlags(rest, [], []);
      if (f.positional.length !== 1) throw new UsageError(`user ${sub} needs exactly one username`);
      const user = await setAccountStatus(context, f.positional[0], sub === "disable" ? "disabled" : "active");
      console.log(`${sub}d user ${user.username}`);
      return;
    }

    if (group === "user" && (sub === "lock" || sub === "unlock")) {
      const f = parseFlags(rest, sub === "lock" ? ["reason", "note"] : ["note"], []);
      if (f.positional.length !== 1) throw new UsageError(`user ${sub} needs exactly one username`);
      if (sub === "lock" && (f.values.reason ?? "staff") !== "staff") throw new UsageError("--reason must be staff (the other reasons are set by the portal itself)");
      const note = f.values.note ?? null;
      if (sub === "lock") {
        const { user, created } = await lockAccountByStaff(context, f.positional[0], note);
        console.log(created ? `locked user ${user.username}` : `user ${user.username} already has a staff lock`);
      } else {
        const { user, ended } = await unlockAccountByStaff(context, f.positional[0], note);
        console.log(ended ? `unlocked user ${user.username} (${ended} lock${ended === 1 ? "" : "s"} ended)` : `user ${user.username} was not locked`);
      }
      return;
    }

    if (group === "staff" && sub === "add") {
      const f = parseFlags(rest, ["email", "name", "role"], ["password-stdin"]);
      if (f.positional.length) throw new UsageError(`unexpected argument ${f.positional[0]}`);
      const role = f.values.role ?? "agent";
      if (!isStaffRole(role)) throw new UsageError(`--role must be agent, supervisor or admin`);
      const password = f.switches.has("password-stdin") ? await readPasswordFromStdin() : null;
      const staff = await createStaff(db, { email: need(f, "email"), name: need(f, "name"), password, role }, createOptions);
      await recordEvent(context, { event: "staff_created", outcome: "success", details: { staff_id: staff.id, role } });
      console.log(`created staff member ${staff.email} (${role})${password ? "" : " (no password yet)"}`);
      return;
    }

    if (group === "staff" && sub === "role") {
      const f = parseFlags(rest, ["email", "role"], []);
      if (f.positional.length) throw new UsageError(`unexpected argument ${f.positional[0]}`);
      const email = need(f, "email");
      const role = need(f, "role");
      if (!isStaffRole(role)) throw new UsageError(`--role must be agent, supervisor or admin`);
      const staff = await findStaffByEmail(db, email);
      if (!staff) throw new AccountError(`no staff member "${email}"`);
      const changed = await changeStaffRole(context, staff.id, role);
      console.log(changed ? `staff member ${staff.email} is now ${role} (was ${staff.role})` : `staff member ${staff.email} is already ${role}`);
      return;
    }

    if (group === "staff" && (sub === "disable" || sub === "enable" || sub === "unlock")) {
      const f = parseFlags(rest, sub === "unlock" ? ["email", "note"] : ["email"], []);
      if (f.positional.length) throw new UsageError(`unexpected argument ${f.positional[0]}`);
      const email = need(f, "email");
      if (sub === "unlock") {
        const staff = await findStaffByEmail(db, email);
        if (!staff) throw new AccountError(`no staff member "${email}"`);
        const unlocked = await liftStaffLock(context, staff.id, f.values.note?.slice(0, 2000) ?? null);
        console.log(unlocked ? `unlocked staff member ${staff.email}` : `staff member ${staff.email} was not locked`);
        return;
      }
      const staff = await changeStaffStatus(context, email, sub === "disable" ? "disabled" : "active");
      console.log(`${sub}d staff member ${staff.email}`);
      return;
    }

    if (group === "locks" && sub === "list") {
      const f = parseFlags(rest, ["user"], []);
      let userId: string | undefined;
      if (f.values.user) {
        const user = await findUserByUsername(db, f.values.user);
        if (!user) throw new AccountError(`no user named "${f.values.user}"`);
        userId = user.id;
      }
      const names = new Map<string, string>();
      const iso = (t: number | null) => (t === null ? "-" : new Date(t).toISOString());
      const rows = await listLocks(db, userId);
      if (rows.length === 0) {
        console.log("no lock records");
        return;
      }
      console.log(["user", "reason", "locked_at", "locked_until", "ended_at", "end_reason", "ended_by", "trigger_ip", "details"].join("\t"));
      for (const r of rows) {
        if (!names.has(r.user_id)) names.set(r.user_id, (await findUserById(db, r.user_id))?.username ?? r.user_id);
        console.log(
          [names.get(r.user_id), r.reason, iso(r.locked_at), r.locked_until === null ? (r.ended_at ? "-" : "until unlocked") : iso(r.locked_until), iso(r.ended_at), r.end_reason ?? "-", r.ended_by ?? "-", r.trigger_ip ?? "-", r.details].join("\t"),
        );
      }
      return;
    }

    if (group === "audit" && sub === "verify") {
      const f = parseFlags(rest, ["since-checkpoint"], []);
      if (f.positional.length) throw new UsageError(`unexpected argument ${f.positional[0]}`);
      const raw = f.values["since-checkpoint"];
      const checkpoint = raw === undefined ? undefined : parseCheckpoint(raw);
      if (checkpoint === null) throw new UsageError("--since-checkpoint must be SEQ:HASH as logged in audit_checkpoint");
      const result = await verifyAuditChain(db, checkpoint);
      if (!result.ok) throw new AccountError(`audit chain broken at event ${result.seq}: ${result.reason} (checked ${result.count})`);
      console.log(`audit chain intact: ${result.count} events${checkpoint ? ` (checkpoint ${checkpoint.seq} present)` : ""}`);
      return;
    }

    if (group === "audit" && sub === "export") {
      for await (const line of exportAudit(db)) process.stdout.write(line + "\n");
      return;
    }

    if (group === "db" && sub === "copy" && connection.engine === "sqlite") {
      const f = parseFlags(rest, ["to", "batch-rows"], []);
      if (f.positional.length) throw new UsageError(`unexpected argument ${f.positional[0]}`);
      const to = need(f, "to");
      const batchRows = Number(f.values["batch-rows"] ?? 500);
      if (!Number.isInteger(batchRows) || batchRows < 1) throw new UsageError("--batch-rows must be a positive whole number");
      if (!/^postgres(ql)?:\/\//.test(to)) throw new UsageError("--to must be a postgres:// URL");
      const target = openPostgres(to, { poolSize: 1 });
      try {
        await migrate(target);
        const copied = await copySqliteToPostgres(connection, target, { batchRows });
        for (const { table, rows } of copied) console.log(`${table}\t${rows}`);
        const total = copied.reduce((n, t) => n + t.rows, 0);
        console.log(`copied ${total} rows in ${copied.length} tables; with DATABASE_URL set to the target, run: npm run portal -- audit verify`);
      } finally {
        await target.close();
      }
      return;
    }

    if (group === "feedback" && sub === "export") {
      const f = parseFlags(rest, ["from", "to"], []);
      if (f.positional.length) throw new UsageError(`unexpected argument ${f.positional[0]}`);
      const parsed = parseRange(new URLSearchParams(f.values), context.services.clock.now());
      if (!parsed.ok) throw new UsageError(parsed.error);
      process.stdout.write(feedbackCsv(await feedbackBetween(db, parsed.range.fromMs, parsed.range.toMs)));
      return;
    }

    // Webhooks (issue 17): endpoints that receive signed events (docs/decisions/0020-webhooks.md).
    if (group === "webhook") {
      if (sub === "add") {
        const f = parseFlags(rest, ["url", "events"], []);
        if (f.positional.length) throw new UsageError(`unexpected argument ${f.positional[0]}`);
        const added = await addWebhook(context, { url: need(f, "url"), events: need(f, "events") });
        if (!added.ok) throw new Error(added.reason);
        console.log(`id: ${added.id}`);
        console.log(`secret: ${added.secret}`);
        return;
      }
      if (sub === "list") {
        const f = parseFlags(rest, [], []);
        if (f.positional.length) throw new UsageError(`unexpected argument ${f.positional[0]}`);
        const all = await listWebhooks(context);
        if (all.length === 0) console.log("no webhook endpoints");
        for (const e of all) {
          const failing = e.failingSince ? ` failing since ${new Date(e.failingSince).toISOString()}` : "";
          console.log(`${e.id} ${e.status} ${e.url} events=${e.events} last=${e.lastResult ?? "none"}${failing}`);
        }
        return;
      }
      if (sub === "remove" || sub === "rotate-secret") {
        const f = parseFlags(rest, [], []);
        if (f.positional.length !== 1) throw new UsageError(`webhook ${sub} needs exactly one endpoint id`);
        const id = f.positional[0]!;
        if (sub === "remove") {
          if (!(await removeWebhook(context, id))) throw new Error(`no webhook endpoint ${id}`);
          console.log(`removed webhook endpoint ${id}`);
          return;
        }
        const rotated = await rotateWebhook(context, id);
        if (!rotated.ok) throw new Error(`no webhook endpoint ${id}`);
        console.log(`secret: ${rotated.secret}`);
        console.log(`the previous secret also signs until ${new Date(rotated.previousUntil).toISOString()}`);
        return;
      }
    }

    // Provisioning API keys (issue 17, docs/decisions/0021-provisioning-api.md).
    if (group === "api-key") {
      if (sub === "create") {
        const f = parseFlags(rest, ["name", "scopes"], []);
        if (f.positional.length) throw new UsageError(`unexpected argument ${f.positional[0]}`);
        try {
          const created = await createApiKey(context, { name: need(f, "name"), scopes: need(f, "scopes") });
          console.log(`id: ${created.id}`);
          console.log(`key: ${created.key}`);
          console.log(`scopes: ${created.scopes.join(",")}`);
        } catch (err) {
          if (err instanceof ApiKeyError) throw new UsageError(err.message);
          throw err;
        }
        return;
      }
      if (sub === "list") {
        const f = parseFlags(rest, [], []);
        if (f.positional.length) throw new UsageError(`unexpected argument ${f.positional[0]}`);
        const all = await listApiKeys(context);
        if (all.length === 0) console.log("no API keys");
        const iso = (t: number | null) => (t === null ? "never" : new Date(t).toISOString());
        for (const k of all) {
          console.log(`${k.id} ${k.revokedAt === null ? "active" : `revoked ${iso(k.revokedAt)}`} name=${JSON.stringify(k.name)} scopes=${k.scopes} created=${iso(k.createdAt)} last_used=${iso(k.lastUsedAt)}`);
        }
        return;
      }
      if (sub === "revoke") {
        const f = parseFlags(rest, [], []);
        if (f.positional.length !== 1) throw new UsageError("api-key revoke needs exactly one key id");
        const id = f.positional[0]!;
        if (!(await revokeApiKey(context, id))) throw new UsageError(`no active API key ${id}`);
        console.log(`revoked API key ${id}`);
        return;
      }
    }

    if (group === "mail" && sub === "test") {
      const f = parseFlags(rest, ["to"], []);
      const to = need(f, "to");
      if (/[\r\n]/.test(to) || !to.includes("@")) throw new UsageError("--to must be one email address");
      await context.services.send({
        channel: "email",
        to,
        template: "smtp-test",
        payload: { appName: config.appName, sentAt: new Date().toISOString() },
      });
      console.log(`queued a test message to ${to}; the running portal sends it`);
      return;
    }

    throw new UsageError(group ? `unknown command: ${[group, sub].filter(Boolean).join(" ")}` : "no command given");
  } finally {
    await connection.close();
  }
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === "--help" || argv[0] === "help") {
    console.log(USAGE);
    return;
  }
  try {
    await run(argv, loadConfig(process.env));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message} (see: npm run portal -- help)\n`);
    } else if (err instanceof AccountError || err instanceof ConfigError) {
      process.stderr.write(`error: ${err.message}\n`);
    } else {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    process.exitCode = 1;
  }
}

await main();
