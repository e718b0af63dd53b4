import type { ReactNode } from "react";
import { Body } from "@react-email/body";
import { Button } from "@react-email/button";
import { Container } from "@react-email/container";
import { Head } from "@react-email/head";
import { Heading } from "@react-email/heading";
import { Hr } from "@react-email/hr";
import { Html } from "@react-email/html";
import { Preview } from "@react-email/preview";
import { Section } from "@react-email/section";
import { Text } from "@react-email/text";
import { DEFAULT_PRIMARY, emailBrand } from "./brand";
import { useMessageT } from "./i18n";

/** The frame every message shares: product name, heading, body, and a footer saying why it came. */
export function EmailLayout(props: { appName: string; preview: string; heading: string; children: ReactNode; footer?: string }) {
  // The operator's branding (emails/brand.ts): logo, colour of headings and buttons, support line, legal link.
  const brand = emailBrand();
  // In the message's language (issue 16); staff messages carry none and stay English.
  const { t, locale, rtl } = useMessageT();
  const support = [
    brand.supportContact ? t("emails:layout.support", { contact: brand.supportContact }) : "",
    brand.supportHours ? t("emails:layout.hours", { hours: brand.supportHours }) : "",
  ]
    .filter(Boolean)
    .join(" · ");
  return (
    <Html lang={locale} dir={rtl ? "rtl" : "ltr"}>
      <Head />
      <Preview>{props.preview}</Preview>
      <Body style={{ backgroundColor: "#f4f5f7", fontFamily: "Helvetica, Arial, sans-serif", color: "#1f2328" }}>
        <Container style={{ maxWidth: "560px", margin: "0 auto", padding: "24px", backgroundColor: "#ffffff" }}>
          {brand.logoUrl ? (
            <img src={brand.logoUrl} alt={props.appName} height="40" style={{ display: "block", height: "40px", width: "auto", maxWidth: "100%", border: 0 }} />
          ) : (
            <Text style={{ fontSize: "14px", color: "#57606a", margin: 0 }}>{props.appName}</Text>
          )}
          <Heading as="h1" style={{ fontSize: "22px", margin: "12px 0 16px", ...(brand.primaryColor ? { color: brand.primaryColor } : {}) }}>
            {props.heading}
          </Heading>
          <Section>{props.children}</Section>
          <Hr style={{ margin: "24px 0", borderColor: "#d0d7de" }} />
          <Text style={{ fontSize: "12px", color: "#57606a" }}>
            {props.footer ?? t("emails:layout.footer", { appName: props.appName })}
          </Text>
          {support ? <Text style={{ fontSize: "12px", color: "#57606a" }}>{support}</Text> : null}
          {brand.legal ? (
            <Text style={{ fontSize: "12px", color: "#57606a" }}>
              <a href={brand.legal.url} style={{ color: "#57606a", textDecoration: "underline" }}>
                {brand.legal.text}
              </a>
            </Text>
          ) : null}
        </Container>
      </Body>
    </Html>
  );
}

export const paragraph = { fontSize: "15px", lineHeight: "22px", margin: "0 0 14px" } as const;
export const codeStyle = { fontSize: "28px", letterSpacing: "6px", fontWeight: 700, margin: "8px 0 16px" } as const;
/** Every template's button; its colour is read at render time, so it follows the operator's BRAND_PRIMARY_COLOR. */
export const buttonStyle = {
  get backgroundColor() {
    return emailBrand().primaryColor ?? DEFAULT_PRIMARY;
  },
  color: "#ffffff",
  padding: "12px 20px",
  borderRadius: "6px",
  textDecoration: "none",
  fontWeight: 600,
  display: "inline-block",
} as const;

/** The "This wasn't me" block every security notification ends with (a single-use report link). */
export function ReportBlock(props: { reportUrl: string; supportEmail: string }) {
  const { t, tl } = useMessageT();
  return (
    <>
      <Text style={paragraph}>{t("emails:report.intro")}</Text>
      <Button href={props.reportUrl} style={buttonStyle}>
        {t("emails:report.button")}
      </Button>
      <Text style={paragraph}>{tl("emails:report.copy", props, ["reportUrl", "supportEmail"])}</Text>
    </>
  );
}

/** A recovery message's link (for any browser) and code (for the browser that asked), and how long each works. */
export function LinkAndCode(props: { link: string; action: string; code: string; minutes: number; codeMinutes: number }) {
  const { t, tl } = useMessageT();
  return (
    <>
      <Button href={props.link} style={buttonStyle}>
        {props.action}
      </Button>
      <Text style={paragraph}>{tl("emails:linkAndCode.copy", props, ["link"])}</Text>
      <Text style={paragraph}>{t("emails:linkAndCode.typeCode")}</Text>
      <Text style={codeStyle}>{tl("emails:linkAndCode.code", props, ["code"])}</Text>
      <Text style={paragraph}>{t("emails:linkAndCode.validity", props)}</Text>
    </>
  );
}
