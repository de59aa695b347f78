import { Link, useSearch } from "wouter";
import { api, safeNext, useAuth, useFinishAuth } from "../../app/latch";
import { ApiForm, Field, SubmitButton, useApiForm } from "../../components/forms";
import { Page } from "../../components/ui";

/** `/account/reauthenticate`: confirm who you are before a sensitive change. */
export function ReauthenticatePage() {
  const auth = useAuth();
  const finish = useFinishAuth();
  // Back to the page that asked (?next=), else the account.
  const next = safeNext(new URLSearchParams(useSearch()).get("next"));
  const byPassword = auth.status !== "reauthentication_required" || auth.flows.some((f) => f.id === "reauthenticate");
  const byCode = auth.status === "reauthentication_required" && auth.flows.some((f) => f.id === "mfa_reauthenticate");
  const password = useApiForm({
    fields: ["password"],
    mutationFn: (v: Record<string, string>) => api.reauthenticate(v.password ?? ""),
    onSuccess: (state) => finish(state, { to: next, flash: "Confirmed. Try your change again." }),
  });
  const code = useApiForm({
    fields: ["code"],
    mutationFn: (v: Record<string, string>) => api.mfaReauthenticate((v.code ?? "").trim()),
    onSuccess: (state) => finish(state, { to: next, flash: "Confirmed. Try your change again." }),
  });
  if (auth.status === "unauthenticated") {
    return (
      <Page title="Confirm it's you">
        <p>
          You are not signed in. <Link href="/account/login">Sign in</Link>
        </p>
      </Page>
    );
  }
  return (
    <Page title="Confirm it's you" lead="This change needs a recent sign-in. Confirm your identity to continue.">
      {byPassword && (
        <ApiForm onValues={password.submit} error={password.error} formErrors={password.formErrors} label="Confirm with your password">
          <Field label="Password" name="password" type="password" autoComplete="current-password" required errors={password.fieldErrors.password} />
          <div className="form-actions">
            <SubmitButton pending={password.pending} retryIn={password.retryIn}>
              Confirm
            </SubmitButton>
          </div>
        </ApiForm>
      )}
      {byCode && (
        <ApiForm onValues={code.submit} error={code.error} formErrors={code.formErrors} label="Confirm with a code">
          <Field label="Authenticator or recovery code" name="code" inputMode="numeric" autoComplete="one-time-code" required errors={code.fieldErrors.code} />
          <div className="form-actions">
            <SubmitButton pending={code.pending} retryIn={code.retryIn}>
              Confirm
            </SubmitButton>
          </div>
        </ApiForm>
      )}
    </Page>
  );
}
