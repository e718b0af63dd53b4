import type { Services } from "~/services.server";

/** What server.ts hands to every loader and action (see getLoadContext there). */
export type RequestContext = {
  services: Services;
  nonce: string;
  requestId: string;
  clientIp: string;
  /** The client as per-client rate limits key it: the address, or its /64 for IPv6 (L4). */
  clientKey: string;
  userAgent: string;
};

declare module "@remix-run/node" {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppLoadContext extends RequestContext {}
  interface Future {
    v3_singleFetch: true;
  }
}
