import type { MetaFunction } from "@remix-run/node";
import { Link } from "@remix-run/react";

export const meta: MetaFunction = () => [{ title: "Can't sign in? | Account recovery" }];

const choices = [
  { to: "/forgot-password", title: "Forgot your password?", text: "Get a link and a code to choose a new one." },
  { to: "/forgot-username", title: "Forgot your username?", text: "We'll send your usernames to your email or phone." },
  { to: "/unlock", title: "Account locked?", text: "Prove it's you and unlock it yourself." },
  {
    to: "/assisted-recovery",
    title: "Can't use your email or phone?",
    text: "Tell our support team what happened and they'll help you in person.",
  },
];

export default function Chooser() {
  return (
    <>
      <h1>Can't sign in?</h1>
      <p className="lead">Choose what happened. Each option takes a couple of minutes.</p>
      <ul className="choices">
        {choices.map((c) => (
          <li key={c.to}>
            <Link to={c.to} className="choice">
              <span className="choice-title">{c.title}</span>
              <span className="choice-text">{c.text}</span>
            </Link>
          </li>
        ))}
      </ul>
      <p>
        Remembered everything? <Link to="/login">Sign in</Link>
      </p>
    </>
  );
}
