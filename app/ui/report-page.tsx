import { Form, Link } from "@remix-run/react";
import { Trans, useTranslation } from "react-i18next";
import { Notice } from "./components";

type ReportContact = { channel: "email" | "sms"; address: string; accountEmail: string | null };
type ContactKind = "email" | "phone";

export type ReportPageData = {
  status: "valid" | "used" | "expired" | "invalid" | "throttled";
  contact: ReportContact | null;
  restores: ContactKind | null;
};

export type ReportPageAnswer = {
  status: "done" | "used" | "expired" | "invalid" | "throttled";
  reference: string | null;
  slaHours: number | null;
  contact: ReportContact | null;
  restored: { kind: ContactKind; value: string } | null;
};

const ltrStrong = { strong: <strong /> };

/** Where support will write: the address (or phone) this very link was sent to. */
function WhereWeWrite({ contact }: { contact: ReportContact }) {
  if (contact.channel === "sms") {
    return (
      <>
        <Trans i18nKey="assisted:report.whereSms" values={{ address: contact.address }} components={ltrStrong} />
        {contact.accountEmail ? (
          <>
            {" "}
            <Trans i18nKey="assisted:report.whereSmsEmail" values={{ email: contact.accountEmail }} components={ltrStrong} />
          </>
        ) : null}
      </>
    );
  }
  return <Trans i18nKey="assisted:report.whereEmail" values={{ address: contact.address }} components={ltrStrong} />;
}

/** "This wasn't me": what pressing the button will do, what it did, or why the link no longer works. */
export function ReportPage({ l, a }: { l: ReportPageData; a?: ReportPageAnswer }) {
  const { t } = useTranslation();
  const status = a?.status ?? l.status;
  if (status === "done" && a?.reference && a.contact) {
    return (
      <>
        <h1>{t("assisted:report.doneTitle")}</h1>
        <Notice kind="success">
          <p>
            <Trans i18nKey="assisted:report.done" values={{ reference: a.reference }} components={ltrStrong} />
          </p>
          {a.restored ? (
            <p>
              <Trans
                i18nKey={a.restored.kind === "email" ? "assisted:report.restoredEmail" : "assisted:report.restoredPhone"}
                values={{ value: a.restored.value }}
                components={ltrStrong}
              />
            </p>
          ) : null}
        </Notice>
        <h2>{t("assisted:report.next")}</h2>
        <ol className="tips">
          <li>
            {t("assisted:report.contactWithin", { count: a.slaHours ?? 0 })} <WhereWeWrite contact={a.contact} />.
          </li>
          <li>{t("assisted:report.checkYou")}</li>
          <li>{t("assisted:report.meanwhile")}</li>
        </ol>
      </>
    );
  }
  if (status !== "valid" || !l.contact) {
    return (
      <>
        <h1>
          {status === "used"
            ? t("assisted:report.used")
            : status === "throttled"
              ? t("assisted:report.throttled")
              : status === "expired"
                ? t("assisted:report.expired")
                : t("assisted:report.invalid")}
        </h1>
        {status === "expired" ? <p>{t("assisted:report.sevenDays")}</p> : null}
        <p>
          <Trans i18nKey="assisted:report.stillThink" components={{ go: <Link to="/assisted-recovery?reason=not-me" /> }} />
        </p>
      </>
    );
  }
  return (
    <>
      <h1>{t("assisted:report.title")}</h1>
      <p className="lead">{t("assisted:report.lead")}</p>
      <ul className="tips">
        <li>{t("assisted:report.lock")}</li>
        {l.restores ? <li>{l.restores === "email" ? t("assisted:report.undoEmail") : t("assisted:report.undoPhone")}</li> : null}
        <li>{t("assisted:report.signOut")}</li>
        <li>{t("assisted:report.removeFactors")}</li>
        <li>
          {t("assisted:report.urgentBefore")} <WhereWeWrite contact={l.contact} /> {t("assisted:report.urgentAfter")}
        </li>
      </ul>
      <Form method="post">
        <button type="submit" className="button">
          {t("assisted:report.secure")}
        </button>
      </Form>
      <p className="hint">{t("assisted:report.mistake")}</p>
    </>
  );
}
