import { Link } from "wouter";
import { isPending, pendingFlow } from "@latchauth/client";
import { api, useAuth, useFinishAuth } from "../../app/latch";
import { ApiForm, Field, SubmitButton, useApiForm } from "../../components/forms";
import { Page } from "../../components/ui";
import { StartOver } from "../../components/flowButtons";
import { SecurityKeyButton } from "../webauthn/WebAuthnButtons";

/** `/account/2fa/authenticate`: the second factor of a sign-in (TOTP or a recovery code). */
export function MFAAuthenticatePage() {
  const auth = useAuth();
  const finish = useFinishAuth();
  const form = useApiForm({
    fields: ["code"],
    mutationFn: (v: Record<string, string>) => api.mfaAuthenticate((v.code ?? "").trim()),
    onSuccess: (state) => finish(state),
    describe: (e) => (e.status === 409 ? "This sign-in has ended (too many wrong codes, or it timed out). Sign in again." : null),
  });
  if (!isPending(auth, "mfa_authenticate")) {
    return (
      <Page title="Two-factor authentication">
        <p>There is no sign-in waiting for a second factor in this browser.</p>
        <p>
          <Link href="/account/login">Sign in</Link>
        </p>
      </Page>
    );
  }
  return (
    <Page title="Two-factor authentication" lead="Enter the 6-digit code from your authenticator app, or one of your recovery codes.">
      <ApiForm onValues={form.submit} error={form.error} formErrors={form.formErrors} label="Enter your code">
        <Field label="Code" name="code" inputMode="numeric" autoComplete="one-time-code" spellCheck={false} required errors={form.fieldErrors.code} />
        <div className="form-actions">
          <SubmitButton pending={form.pending} retryIn={form.retryIn}>
            Continue
          </SubmitButton>
        </div>
      </ApiForm>
      <SecurityKeyButton types={("flows" in auth && pendingFlow(auth.flows)?.types) || []} onState={(state) => finish(state)} />
      <div className="alternatives">
        <StartOver label="Cancel and start over" />
      </div>
    </Page>
  );
}
