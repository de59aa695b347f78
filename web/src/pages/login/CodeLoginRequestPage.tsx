import { Link } from "wouter";
import { api, useAccountConfig, useFinishAuth } from "../../app/latch";
import { ApiForm, Field, SubmitButton, useApiForm } from "../../components/forms";
import { Page } from "../../components/ui";
import { rememberSentTo } from "../../app/sentTo";

export function CodeLoginRequestPage() {
  const cfg = useAccountConfig();
  const finish = useFinishAuth();
  const form = useApiForm({
    fields: ["email"],
    mutationFn: (v: Record<string, string>) => {
      const email = (v.email ?? "").trim();
      rememberSentTo("login", email);
      return api.requestLoginCode(email);
    },
    onSuccess: (state) => finish(state),
  });
  if (!cfg.login_by_code_enabled) {
    return (
      <Page title="Sign in with a code">
        <p>Signing in with an emailed code is not available here.</p>
        <p>
          <Link href="/account/login">Sign in with your password</Link>
        </p>
      </Page>
    );
  }
  return (
    <Page title="Sign in with a code" lead="We’ll email you a one-time code. No password needed.">
      <ApiForm onValues={form.submit} error={form.error} formErrors={form.formErrors} label="Request a sign-in code">
        <Field label="Email" name="email" type="email" autoComplete="email" required errors={form.fieldErrors.email} />
        <div className="form-actions">
          <SubmitButton pending={form.pending} retryIn={form.retryIn}>
            Email me a code
          </SubmitButton>
          <Link href="/account/login">Use your password</Link>
        </div>
      </ApiForm>
    </Page>
  );
}
