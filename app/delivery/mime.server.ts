import { randomBytes } from "node:crypto";
import { domainToASCII } from "node:url";
import addressparser from "nodemailer/lib/addressparser";
import { encodeWord, encodeWords, foldLines, quoteString } from "nodemailer/lib/mime-funcs";

/**
 * The MIME text of one portal e-mail (text and HTML alternatives), composed directly instead of
 * through nodemailer's MailComposer, which builds a tree of streams per message: for these small,
 * fixed-shape messages that was about half of the e-mail thread's CPU for sending
 * (docs/decisions/0023). nodemailer's own encoders do the header work (encoded words for non-ASCII,
 * quoting, folding), so headers read as nodemailer wrote them; smtp-pool.server.ts sends it as it is.
 */
export type MimeMessage = {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers: Record<string, string>;
  date?: Date;
};

export type Composed = { envelope: { from: string; to: string[] }; raw: string };

const CRLF = "\r\n";

/** One header line, folded at 76 columns; a value can never carry a line break (EML-01). */
function header(name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`line break in the ${name} header`);
  return foldLines(`${name}: ${value}`, 76);
}

/** `Name <address>` or `address`, the display name quoted or encoded as nodemailer does it. */
function mailbox(raw: string): { header: string; address: string } {
  // One mailbox on one line, or nothing is sent (EML-01).
  if (/[\r\n]/.test(raw)) throw new Error("line break in an address");
  const parsed = addressparser(raw, { flatten: true });
  const first = parsed[0];
  if (parsed.length !== 1 || !first || !("address" in first) || !first.address) throw new Error("not one e-mail address");
  const at = first.address.lastIndexOf("@");
  const address = at > 0 ? `${first.address.slice(0, at)}@${domainToASCII(first.address.slice(at + 1)) || first.address.slice(at + 1)}` : first.address;
  const name = first.name.replace(/\p{Cc}/gu, " ").trim();
  if (!name) return { header: address, address };
  const shown = /^[\w ]*$/.test(name) ? name : /^[\x20-\x7e]*$/.test(name) ? quoteString(name) : encodeWord(name, "Q", 52);
  return { header: `${shown} <${address}>`, address };
}

/** Base64 in 76-character lines (RFC 2045). */
function base64Lines(value: string): string {
  const b64 = Buffer.from(value, "utf8").toString("base64");
  // Slices, not a regular expression: a quarter of the cost of composing a message.
  let out = b64.slice(0, 76);
  for (let i = 76; i < b64.length; i += 76) out += CRLF + b64.slice(i, i + 76);
  return out;
}

export function composeMessage(m: MimeMessage): Composed {
  const from = mailbox(m.from);
  const to = mailbox(m.to);
  const boundary = `--_portal_${randomBytes(12).toString("hex")}`;
  const date = (m.date ?? new Date()).toUTCString().replace(/GMT/, "+0000");
  const part = (type: string, body: string) =>
    [`--${boundary}`, `Content-Type: ${type}; charset=utf-8`, "Content-Transfer-Encoding: base64", "", base64Lines(body)].join(CRLF);
  const raw = [
    header("From", from.header),
    header("To", to.header),
    header("Subject", encodeWords(m.subject, "Q", 52)),
    header("Message-ID", m.messageId),
    header("Date", date),
    ...Object.entries(m.headers).map(([name, value]) => header(name, value)),
    header("MIME-Version", "1.0"),
    header("Content-Type", `multipart/alternative; boundary="${boundary}"`),
    "",
    part("text/plain", m.text),
    part("text/html", m.html),
    `--${boundary}--`,
    "",
  ].join(CRLF);
  return { envelope: { from: from.address, to: [to.address] }, raw };
}
