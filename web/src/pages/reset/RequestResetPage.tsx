import { useState } from "react";
import { Link } from "wouter";
import { api, useAccountConfig, useFinishAuth } from "../../app/latch";
import { ApiForm, Field, SubmitButton, useApiForm } from "../../components/forms";
import { Page } from "../../components/ui";
import { duration, useLifetimes } from "../../app/brand";
import { rememberSentTo } from "../../app/sentTo";

export function RequestResetPage() {
  const cfg = useAccountConfig();
  const finish = useFinishAuth();
  const lifetimes = useLifetimes();
  const [sentTo, setSentTo] = useState<string | null>(null);
  const form = useApiForm({
    fields: ["email"],
    mutationFn: (v: Record<string, string>) => {
      const email = (v.email ?? "").trim();
      rememberSentTo("reset", email);
      return api.requestPasswordReset(email);
    },
    onSuccess: (state, v) => {
      if (state === undefined) setSentTo((v.email ?? "").trim());
      else finish(state, { to: "/account/password/reset/code" });
    },
  });
  if (sentTo !== null) {
    return (
      <Page title="Check your email">
        <p>
          If an account uses <strong>{sentTo}</strong>, we sent it a link to choose a new password. The link works for {duration(lifetimes.password_reset_link)}.
        </p>
        <p>Nothing there? Look in your spam folder, or try again in a few minutes.</p>
        <p>
          <Link href="/account/login">Back to sign in</Link>
        </p>
      </Page>
    );
  }
  return (
    <Page
      title="Reset your password"
      lead={
        cfg.password_reset_by_code_enabled
          ? "Enter your email address and we’ll send you a code to choose a new password."
          : "Enter your email address and we’ll send you a link to choose a new password."
      }
    >
      <ApiForm onValues={form.submit} error={form.error} formErrors={form.formErrors} label="Reset your password">
        <Field label="Email" name="email" type="email" autoComplete="email" required errors={form.fieldErrors.email} />
        <div className="form-actions">
          <SubmitButton pending={form.pending} retryIn={form.retryIn}>
            {cfg.password_reset_by_code_enabled ? "Email me a code" : "Email me a link"}
          </SubmitButton>
          <Link href="/account/login">Back to sign in</Link>
        </div>
      </ApiForm>
    </Page>
  );
}
