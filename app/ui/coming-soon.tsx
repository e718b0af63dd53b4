import { Link } from "@remix-run/react";

/** Placeholder for a flow whose URL is final but whose pages are not built yet. */
export function ComingSoon(props: { title: string }) {
  return (
    <>
      <h1>{props.title}</h1>
      <p>This part of the portal is coming soon.</p>
      <p>
        Need help now? <Link to="/assisted-recovery">Contact our support team</Link> or <Link to="/">go back</Link>.
      </p>
    </>
  );
}
