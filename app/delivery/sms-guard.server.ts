import type { RequestContext } from "~/context.server";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";

/**
 * Toll-fraud (SMS pumping) protection in front of every SMS: an allow-list of countries,
 * per-number limits and a global hourly budget. A refusal is silent to the customer (the page
 * answers the same), visible to operators in the log and the portal_throttled_total metric.
 * Call it before the transaction that queues the SMS, never inside: the limits take the
 * connection lock, which an open transaction holds.
 */
export async function smsAllowed(context: RequestContext, e164: string): Promise<boolean> {
  const { config, limits, logger, metrics } = context.services;
  const country = parsePhoneNumberFromString(e164)?.country;
  if (!country || !config.sms.allowedCountries.includes(country)) {
    metrics.throttled.inc({ limit: "sms_country" });
    logger.warn({ country: country ?? "unknown", requestId: context.requestId }, "SMS refused: country not in SMS_ALLOWED_COUNTRIES");
    return false;
  }
  for (const name of ["sms_per_number_hour", "sms_per_number_day"] as const) {
    const verdict = await limits.consume(name, `sms:${e164}`);
    if (!verdict.ok) {
      metrics.throttled.inc({ limit: name });
      logger.warn({ limit: name, requestId: context.requestId }, "SMS refused: per-number limit");
      return false;
    }
  }
  const budget = await limits.consume("sms_global_hour", "global");
  if (!budget.ok) {
    metrics.throttled.inc({ limit: "sms_global_hour" });
    logger.error({ budget: config.sms.hourlyBudget, requestId: context.requestId }, "SMS refused: SMS_HOURLY_BUDGET exhausted");
    return false;
  }
  return true;
}
