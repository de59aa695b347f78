import { Link } from "wouter";
import { isPending } from "@latchauth/client";
import { api, useAuth, useFinishAuth } from "../../app/latch";
import { ApiForm, CodeField, SubmitButton, useApiForm } from "../../components/forms";
import { Page } from "../../components/ui";
import { duration, useLifetimes } from "../../app/brand";
import { sentTo } from "../../app/sentTo";
import { ResendButton, StartOver } from "../../components/flowButtons";

export function CodeLoginConfirmPage() {
  const auth = useAuth();
  const finish = useFinishAuth();
  const lifetimes = useLifetimes();
  const address = sentTo("login");
  const form = useApiForm({
    fields: ["code"],
    mutationFn: (v: Record<string, string>) => api.confirmLoginCode((v.code ?? "").trim()),
    onSuccess: (state) => finish(state),
    describe: (e) =>
      e.status === 409
        ? `This code can no longer be used: codes expire after ${duration(lifetimes.login_code)} and stop working after 3 wrong tries. Request a new code.`
        : null,
  });
  if (!isPending(auth, "login_by_code")) {
    return (
      <Page title="Enter your code">
        <p>There is no sign-in by code in progress in this browser. It may have expired.</p>
        <p>
          <Link href="/account/login/code">Request a new code</Link> or <Link href="/account/login">sign in with your password</Link>.
        </p>
      </Page>
    );
  }
  return (
    <Page
      title="Enter your code"
      lead={
        address ? (
          <>
            If an account uses <strong>{address}</strong>, we emailed it a sign-in code. It works for {duration(lifetimes.login_code)}.
          </>
        ) : (
          `If an account uses that address, we emailed it a sign-in code. It works for ${duration(lifetimes.login_code)}.`
        )
      }
    >
      <ApiForm onValues={form.submit} error={form.error} formErrors={form.formErrors} label="Enter the sign-in code">
        <CodeField errors={form.fieldErrors.code} lifetime={lifetimes.login_code} />
        <div className="form-actions">
          <SubmitButton pending={form.pending} retryIn={form.retryIn}>
            Sign in
          </SubmitButton>
        </div>
      </ApiForm>
      <div className="alternatives">
        <ResendButton
          send={api.resendLoginCode}
          label="Send a new code"
          sent="We sent a new code. The previous one no longer works."
          conflict="No more codes can be sent for this sign-in. Start over to get a new one."
        />
        <p>
          <Link href="/account/login/code">Use a different address</Link>
        </p>
        <StartOver />
      </div>
    </Page>
  );
}
