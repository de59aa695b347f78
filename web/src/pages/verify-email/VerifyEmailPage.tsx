import { Link, Redirect } from "wouter";
import { isPending } from "@latchauth/client";
import { api, useAccountConfig, useAuth, useFinishAuth } from "../../app/latch";
import { ApiForm, CodeField, SubmitButton, useApiForm } from "../../components/forms";
import { Page } from "../../components/ui";
import { duration, useLifetimes } from "../../app/brand";
import { sentTo } from "../../app/sentTo";
import { ResendButton, StartOver } from "../../components/flowButtons";

/** "Check your email": a login or signup waits for the address to be verified. */
export function VerifyEmailPage() {
  const cfg = useAccountConfig();
  const auth = useAuth();
  const finish = useFinishAuth();
  const lifetimes = useLifetimes();
  const address = sentTo("verify");
  const to = address ? <strong>{address}</strong> : "you";
  const form = useApiForm({
    fields: ["code"],
    aliases: { key: "code" },
    mutationFn: (v: Record<string, string>) => api.verifyEmail((v.code ?? "").trim()),
    onSuccess: (state) =>
      finish(
        state,
        state.status === "authenticated"
          ? { flash: "Your email address is confirmed." }
          : isPending(state, "verify_email")
            ? { flash: "Confirmed. Another address needs confirming: check your email for a new code." }
            : { to: "/account/login", flash: "Your email address is confirmed. Sign in to continue." },
      ),
    describe: (e) =>
      e.status === 409
        ? `This code can no longer be used: it expired (after ${duration(lifetimes.email_verification_code)}) or was cancelled after 3 wrong tries. Sign in again to get a new one.`
        : null,
  });

  if (auth.status === "authenticated") return <Redirect to="/account/email" replace />;
  if (!isPending(auth, "verify_email")) {
    return (
      <Page title="Check your email">
        <p>Nothing is waiting for an email confirmation in this browser. It may have expired.</p>
        <p>
          <Link href="/account/login">Sign in</Link> to continue; if your address still needs confirming, we will send a new
          message.
        </p>
      </Page>
    );
  }
  if (!cfg.email_verification_by_code_enabled) {
    return (
      <Page title="Check your email" lead={<>We sent {to} an email with a confirmation link.</>}>
        <p>Open the link in that email to confirm your address. The link works for {duration(lifetimes.email_verification_link)}.</p>
        <p>Nothing there? Look in your spam folder, or sign in again in a few minutes to get a new link.</p>
        <StartOver label="Cancel and start over" />
      </Page>
    );
  }
  return (
    <Page title="Check your email" lead={<>We emailed {to} a confirmation code. Enter it to continue.</>}>
      <ApiForm onValues={form.submit} error={form.error} formErrors={form.formErrors} label="Confirm your email address">
        <CodeField errors={form.fieldErrors.code} lifetime={lifetimes.email_verification_code} />
        <div className="form-actions">
          <SubmitButton pending={form.pending} retryIn={form.retryIn}>
            Confirm
          </SubmitButton>
        </div>
      </ApiForm>
      <div className="alternatives">
        <ResendButton
          send={api.resendEmailVerificationCode}
          label="Send a new code"
          sent="We sent a new code. The previous one no longer works."
          conflict="No more codes can be sent for this confirmation. Start over to get a new one."
        />
        <StartOver label="Cancel and start over" />
      </div>
    </Page>
  );
}
