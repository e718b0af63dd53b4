import { Form, Link, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { parseWithZod } from "@conform-to/zod/v4";
import { useForm, type SubmissionResult } from "@conform-to/react";
import { Field, Honeypot, Notice } from "./components";
import { PasskeyButton } from "./passkey-button";

/** The sign-in form's rules, checked in the browser and again by the action. */
export const loginSchema = z.object({
  identifier: z.string({ error: "Enter your username or email" }).trim().min(1, "Enter your username or email").max(320),
  password: z.string({ error: "Enter your password" }).min(1, "Enter your password").max(1024),
});

export function LoginPage({ lastResult }: { lastResult?: SubmissionResult<string[]> }) {
  const navigation = useNavigation();
  const [form, fields] = useForm({
    lastResult,
    shouldValidate: "onSubmit",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: loginSchema }),
  });
  return (
    <>
      <h1>Sign in</h1>
      <Form method="post" id={form.id} onSubmit={form.onSubmit} noValidate>
        <Honeypot />
        {form.errors?.length ? (
          <Notice kind="error">
            <p>{form.errors.join(" ")}</p>
            <p>
              Locked out after too many tries? <Link to="/unlock">Unlock your account</Link>.{" "}
              <Link to="/help/locked-out">Why accounts lock</Link>
            </p>
          </Notice>
        ) : null}
        <Field
          label="Username or email"
          name={fields.identifier.name}
          defaultValue={fields.identifier.initialValue as string | undefined}
          errors={fields.identifier.errors}
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
        />
        <Field
          label="Password"
          name={fields.password.name}
          type="password"
          errors={fields.password.errors}
          autoComplete="current-password"
          required
        />
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          Sign in
        </button>
      </Form>
      <PasskeyButton use="sign-in" label="Sign in with a passkey" />
      <p>
        <Link to="/forgot-password">Forgot your password?</Link> · <Link to="/forgot-username">Forgot your username?</Link>
      </p>
    </>
  );
}
