import type { Services } from "~/services.server";
import { transaction } from "~/db/db.server";
import type { Locale } from "~/i18n/config";

/**
 * Who is acting: a customer (id once signed in), a staff member in the console, the portal itself
 * (the outbox, start-up), or an operator at the CLI (id names the operator's seat, see app/cli).
 * recordEvent writes it as the audit row's actor unless the caller names one.
 */
export type Actor =
  | { type: "customer"; id: string | null }
  | { type: "staff"; id: string }
  | { type: "system"; id: null }
  | { type: "operator"; id: string }
  /** A system calling the provisioning API with a bearer key (issue 17); id is the key's id. */
  | { type: "api_key"; id: string };

/**
 * The one context domain code takes, whoever calls it: server.ts builds it for each request
 * (getLoadContext), the CLI for each command. Domain modules import this, never Remix's type.
 */
export type RequestContext = {
  services: Services;
  actor: Actor;
  nonce: string;
  requestId: string;
  clientIp: string;
  /** The client as per-client rate limits key it: the address, or its /64 for IPv6 (L4). */
  clientKey: string;
  userAgent: string;
  /** The language of this request's page (issue 16); "en" for the CLI and the outbox. */
  locale: Locale;
};

/** Where an action came from, as audit details name it ("via"): the CLI, the support console, the web. */
export function actorVia(actor: Actor): "cli" | "console" | "web" | "api" {
  return actor.type === "operator" ? "cli" : actor.type === "staff" ? "console" : actor.type === "api_key" ? "api" : "web";
}

/** The same context acting as someone else (e.g. a support route once it knows the staff member). */
export function withActor<C extends RequestContext>(context: C, actor: Actor): C {
  return { ...context, actor };
}

/**
 * Runs `work` in one database transaction, handing it a copy of the context whose `services.db`
 * (and `services.send`) is the transaction. Pass that copy, never the outer context, to everything
 * called inside; a query through the outer handle there throws instead of waiting for ever.
 * Only database work belongs inside: hash, render and call the network before or after.
 */
export function inTransaction<C extends RequestContext, T>(context: C, work: (tx: C) => Promise<T>): Promise<T> {
  return transaction(context.services.db, (trx) => work({ ...context, services: context.services.withDb(trx) }));
}

declare module "@remix-run/node" {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppLoadContext extends RequestContext {}
  interface Future {
    v3_singleFetch: true;
  }
}
