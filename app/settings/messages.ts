import type { StartOutcome, VerifyOutcome } from "./contacts.server";

/** What the contact-change pages say after each refusal, and with which status (the route edge). */
const START: Record<Extract<StartOutcome, { ok: false }>["reason"], { status: 400 | 429; text: string }> = {
  "invalid-email": { status: 400, text: "Enter an email address like name@example.com" },
  "same-email": { status: 400, text: "That's already your email address." },
  "invalid-phone": { status: 400, text: "Enter a phone number, for example (202) 555-0143 or +44 20 7946 0018" },
  "same-phone": { status: 400, text: "That's already your phone number." },
  flooded: { status: 429, text: "Too many codes were sent there recently. Try again later." },
  "sms-refused": { status: 400, text: "We can't send text messages to that number. Try another number or contact support." },
};

export function startRefusal(outcome: Extract<StartOutcome, { ok: false }>): { status: 400 | 429; text: string } {
  return START[outcome.reason];
}

export function verifyRefusal(outcome: Extract<VerifyOutcome, { ok: false }>): string {
  switch (outcome.reason) {
    case "expired":
      return "This code has expired. Start the change again.";
    case "dead":
      return "Too many wrong codes. Start the change again to get a new code.";
    case "wrong":
      return `That code isn't right. You have ${outcome.attemptsLeft} tries left.`;
  }
}
