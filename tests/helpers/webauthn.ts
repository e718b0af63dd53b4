import crypto from "node:crypto";
import type { Client } from "./http";

/**
 * A software passkey for request-level tests: a P-256 key pair held in the test process that
 * performs the real WebAuthn ceremonies (attestation "none", user present and verified) against
 * the portal's /webauthn endpoint, the way a platform authenticator inside a browser would. The
 * portal checks everything as it does for Chromium's virtual authenticator (tests/e2e/passkeys):
 * challenge, origin, RP ID hash, flags, counter and signature.
 */

const b64url = (b: Buffer | Uint8Array) => Buffer.from(b).toString("base64url");

// ---- the little CBOR WebAuthn needs (unsigned/negative ints, byte and text strings, maps) -----
function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}
type Cbor = number | string | Buffer | Map<Cbor, Cbor>;
function cbor(v: Cbor): Buffer {
  if (typeof v === "number") return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === "string") {
    const s = Buffer.from(v, "utf8");
    return Buffer.concat([head(3, s.length), s]);
  }
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
  return Buffer.concat([head(5, v.size), ...[...v].flatMap(([k, x]) => [cbor(k), cbor(x)])]);
}

/** Sends JSON the way the passkey buttons' script does, keeping the client's cookies up to date. */
export async function postJson(c: Client, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  const res = await fetch(c.origin + path, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/json", origin: c.origin, ...c.defaults, ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
  for (const set of res.headers.getSetCookie()) {
    const [pair, ...attrs] = set.split(";");
    const i = pair.indexOf("=");
    const name = pair.slice(0, i).trim();
    const value = pair.slice(i + 1).trim();
    if (value === "" || attrs.some((a) => /max-age=0/i.test(a.trim()))) c.cookies.delete(name);
    else c.cookies.set(name, value);
  }
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

export class SoftPasskey {
  readonly credentialId = crypto.randomBytes(32);
  private readonly keys = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  private counter = 0;
  private userHandle: string | undefined;

  /** `origin` is what the browser's address bar shows: the portal's APP_ORIGIN (a portal that moves changes it). */
  constructor(public origin: string) {}

  get id(): string {
    return b64url(this.credentialId);
  }

  private rpIdHash(rpId: string) {
    return crypto.createHash("sha256").update(rpId).digest();
  }

  private clientData(type: "webauthn.create" | "webauthn.get", challenge: string) {
    return Buffer.from(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }));
  }

  /** navigator.credentials.create() for the options the portal gave. */
  attest(options: { challenge: string; rp: { id?: string }; user: { id: string } }) {
    const rpId = options.rp.id ?? new URL(this.origin).hostname;
    this.userHandle = options.user.id;
    const jwk = this.keys.publicKey.export({ format: "jwk" });
    const cose = new Map<Cbor, Cbor>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, Buffer.from(jwk.x!, "base64url")],
      [-3, Buffer.from(jwk.y!, "base64url")],
    ]);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([this.rpIdHash(rpId), Buffer.from([0x45]) /* UP | UV | AT */, Buffer.alloc(4), Buffer.alloc(16), idLength, this.credentialId, cbor(cose)]);
    const attestationObject = cbor(new Map<Cbor, Cbor>([["fmt", "none"], ["attStmt", new Map()], ["authData", authData]]));
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
      response: { clientDataJSON: b64url(this.clientData("webauthn.create", options.challenge)), attestationObject: b64url(attestationObject), transports: ["internal"] },
    };
  }

  /** navigator.credentials.get() for the options the portal gave. */
  assert(options: { challenge: string; rpId?: string }) {
    const rpId = options.rpId ?? new URL(this.origin).hostname;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(++this.counter);
    const authenticatorData = Buffer.concat([this.rpIdHash(rpId), Buffer.from([0x05]) /* UP | UV */, count]);
    const clientDataJSON = this.clientData("webauthn.get", options.challenge);
    const signature = crypto.sign("sha256", Buffer.concat([authenticatorData, crypto.createHash("sha256").update(clientDataJSON).digest()]), this.keys.privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
      response: { clientDataJSON: b64url(clientDataJSON), authenticatorData: b64url(authenticatorData), signature: b64url(signature), ...(this.userHandle ? { userHandle: this.userHandle } : {}) },
    };
  }
}

/**
 * Adds `key` to the signed-in account on `issuer`'s client (the challenge) and finishes on
 * `verifier`'s (the verification); both clients share one cookie jar. Returns the verify answer.
 */
export async function addPasskey(issuer: Client, verifier: Client, key: SoftPasskey, name = "Test key") {
  const options = await postJson(issuer, "/webauthn", { step: "options", use: "add" });
  if (options.status !== 200) throw new Error(`passkey options answered ${options.status}: ${JSON.stringify(options.json)}`);
  const o = options.json.options as { challenge: string; rp: { id?: string }; user: { id: string } };
  return postJson(verifier, "/webauthn", { step: "verify", use: "add", name, response: key.attest(o) });
}

/** "Sign in with a passkey": options from `issuer`, the assertion verified by `verifier`. */
export async function passkeySignIn(issuer: Client, verifier: Client, key: SoftPasskey) {
  const options = await postJson(issuer, "/webauthn", { step: "options", use: "sign-in" });
  if (options.status !== 200) throw new Error(`passkey options answered ${options.status}: ${JSON.stringify(options.json)}`);
  const o = options.json.options as { challenge: string; rpId?: string };
  return postJson(verifier, "/webauthn", { step: "verify", use: "sign-in", response: key.assert(o) });
}
