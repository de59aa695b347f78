import { useMutation, useQuery } from "@tanstack/react-query";
import { Link, Redirect, useParams } from "wouter";
import { ApiError, isPending } from "@latchauth/client";
import { api, useAccountConfig, useAuth, useFinishAuth } from "../app/latch";
import { ApiForm, Field, mismatch, SubmitButton, useApiForm } from "../components/forms";
import { ErrorPanel, Loading, Notice, Page } from "../components/ui";
import { ResendButton, StartOver } from "./shared";

export function SignupPage() {
  const cfg = useAccountConfig();
  const finish = useFinishAuth();
  // Servers that say which fields a signup asks for (Latch's signup_fields)
  // decide; others are read from their login methods, as allauth's own
  // frontend does.
  const fields = cfg.signup_fields;
  const withUsername = fields ? fields.username !== undefined : cfg.login_methods.includes("username");
  const usernameRequired = fields ? !!fields.username?.required : withUsername && !cfg.login_methods.includes("email");
  const emailRequired = fields ? !!fields.email?.required : true;
  const form = useApiForm({
    fields: ["email", "username", "password", "password2"],
    mutationFn: (v: Record<string, string>) => {
      if (v.password !== v.password2) return Promise.reject(mismatch("password2"));
      const username = (v.username ?? "").trim();
      const email = (v.email ?? "").trim();
      return api.signup({
        ...(email || emailRequired ? { email } : {}),
        password: v.password ?? "",
        ...(username ? { username } : {}),
      });
    },
    onSuccess: (state) =>
      finish(state, state.status === "authenticated" ? { flash: "Welcome! Your account has been created." } : {}),
    describe: (e) => (e.status === 403 && e.kind === "forbidden" ? "Sign-up is closed on this server." : null),
  });

  if (!cfg.is_open_for_signup) {
    return (
      <Page title="Create an account">
        <p>Sign-up is closed on this server. Ask an administrator for an account.</p>
        <p>
          <Link href="/account/login">Sign in</Link>
        </p>
      </Page>
    );
  }
  return (
    <Page title="Create an account">
      <ApiForm onValues={form.submit} error={form.error} formErrors={form.formErrors} label="Create an account">
        <Field
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          optional={!emailRequired}
          required={emailRequired}
          errors={form.fieldErrors.email}
        />
        {withUsername ? (
          <Field
            label="Username"
            name="username"
            optional={!usernameRequired}
            required={usernameRequired}
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={150}
            hint="Letters, digits and @ . + - _ only."
            errors={form.fieldErrors.username}
          />
        ) : null}
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 8 characters; not a common password, not only digits."
          errors={form.fieldErrors.password}
        />
        <Field label="Password (again)" name="password2" type="password" autoComplete="new-password" required errors={form.fieldErrors.password2} />
        <div className="form-actions">
          <SubmitButton pending={form.pending} retryIn={form.retryIn}>
            Create account
          </SubmitButton>
        </div>
      </ApiForm>
      <div className="alternatives">
        <p>
          Already have an account? <Link href="/account/login">Sign in</Link>
        </p>
      </div>
    </Page>
  );
}

/** "Check your email": a login or signup waits for the address to be verified. */
export function VerifyEmailPage() {
  const cfg = useAccountConfig();
  const auth = useAuth();
  const finish = useFinishAuth();
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
        ? "This code can no longer be used: it expired (after 15 minutes) or was cancelled after 3 wrong tries. Sign in again to get a new one."
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
      <Page title="Check your email" lead="We sent you an email with a confirmation link.">
        <p>Open the link in that email to confirm your address. The link works for 3 days.</p>
        <p>Nothing there? Look in your spam folder, or sign in again in a few minutes to get a new link.</p>
        <StartOver label="Cancel and start over" />
      </Page>
    );
  }
  return (
    <Page title="Check your email" lead="We emailed you a confirmation code. Enter it to continue.">
      <ApiForm onValues={form.submit} error={form.error} formErrors={form.formErrors} label="Confirm your email address">
        <Field
          label="Code"
          name="code"
          hint="For example BCDF-GHJK. It works for 15 minutes."
          autoComplete="one-time-code"
          autoCapitalize="characters"
          spellCheck={false}
          required
          errors={form.fieldErrors.code}
        />
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

/** The page a verification link opens: shows what it confirms, then confirms on request. */
export function VerifyEmailKeyPage() {
  const { key = "" } = useParams<{ key: string }>();
  const auth = useAuth();
  const finish = useFinishAuth();
  const info = useQuery({
    queryKey: ["latch", "verify-email", key],
    queryFn: () => api.getEmailVerification(key),
    retry: false,
    staleTime: Infinity,
    gcTime: 0,
    refetchOnWindowFocus: false,
  });
  const confirm = useMutation({
    mutationFn: () => api.verifyEmail(key),
    onSuccess: (state) => {
      const email = info.data?.email ?? "Your email address";
      if (state.status === "authenticated") finish(state, { to: "/account", flash: `${email} is confirmed.` });
      else if (isPending(state, "verify_email") || state.status === "reauthentication_required") finish(state);
      else finish(state, { to: "/account/login", flash: `${email} is confirmed. You can sign in now.` });
    },
  });

  const title = "Confirm your email address";
  if (info.isPending) {
    return (
      <Page title={title}>
        <Loading label="Checking the link…" />
      </Page>
    );
  }
  if (info.isError) {
    const e = info.error;
    if (e instanceof ApiError && (e.status === 400 || e.status === 409)) {
      return (
        <Page title={title}>
          <Notice kind="error">
            <p>
              {e.hasCode("email_taken")
                ? "Another account uses this address now, so it cannot be confirmed for yours."
                : "This link is invalid or has expired. Links work once, for 3 days."}
            </p>
          </Notice>
          {auth.status === "authenticated" ? (
            <p>
              Ask for a new link on your <Link href="/account/email">email addresses</Link> page.
            </p>
          ) : (
            <p>
              <Link href="/account/login">Sign in</Link> to get a new link, or check whether you already confirmed this address.
            </p>
          )}
        </Page>
      );
    }
    return (
      <Page title={title}>
        <ErrorPanel error={e} retry={() => void info.refetch()} />
      </Page>
    );
  }
  const { email, user } = info.data;
  return (
    <Page title={title}>
      <p>
        {user.display === email ? (
          <>
            Confirm that <strong>{email}</strong> is your email address.
          </>
        ) : (
          <>
            Confirm that <strong>{email}</strong> is an email address of the account <strong>{user.display}</strong>.
          </>
        )}
      </p>
      {confirm.isError ? (
        <Notice kind="error">
          <p>{confirm.error instanceof ApiError ? confirm.error.messages.join(" ") : "Something went wrong."}</p>
        </Notice>
      ) : null}
      <div className="form-actions">
        <button type="button" className="button primary" onClick={() => confirm.mutate()} disabled={confirm.isPending}>
          {confirm.isPending ? "Please wait…" : "Confirm email address"}
        </button>
      </div>
    </Page>
  );
}
