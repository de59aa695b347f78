import { Link, useSearch } from "wouter";
import { ApiError, isPending, nextStep, pendingFlow, type AuthState, type LoginInput } from "../api";
import { api, safeNext, STEP_PATHS, useAccountConfig, useAuth, useFinishAuth } from "../app/latch";
import { ApiForm, Field, SubmitButton, useApiForm } from "../components/forms";
import { Page } from "../components/ui";
import { PasskeyButton } from "./mfa";
import { ProviderButtons } from "./providers";
import { ResendButton, StartOver } from "./shared";

/** The login input for what was typed: an address when it has an "@" (and email login is on). */
export function loginInput(login: string, password: string, methods: readonly string[]): LoginInput {
  const v = login.trim();
  const byEmail = methods.includes("email");
  const byUsername = methods.includes("username");
  if (byEmail && (!byUsername || v.includes("@"))) return { email: v, password };
  return { username: v, password };
}

const STAGE_TEXT: Record<string, string> = {
  verify_email: "confirm your email address",
  login_by_code: "enter the code we emailed you",
  password_reset_by_code: "enter the password reset code we emailed you",
};

/** A sign-in in progress in this browser (after a reload, or coming back). */
function InProgress({ auth }: { auth: AuthState }) {
  const step = nextStep(auth);
  if (!("flow" in step)) return null;
  return (
    <div className="notice notice-info" role="status">
      <p>
        Something is waiting for you to {STAGE_TEXT[step.flow.id] ?? "finish a step"}.{" "}
        <Link href={STEP_PATHS[step.step]}>Continue</Link>
      </p>
    </div>
  );
}

export function LoginPage() {
  const cfg = useAccountConfig();
  const auth = useAuth();
  const finish = useFinishAuth();
  const next = safeNext(new URLSearchParams(useSearch()).get("next"));
  const methods = cfg.login_methods;
  const byEmail = methods.includes("email");
  const byUsername = methods.includes("username");
  const label = byEmail && byUsername ? "Email or username" : byEmail ? "Email" : "Username";

  const form = useApiForm({
    fields: ["login", "password"],
    aliases: { email: "login", username: "login" },
    mutationFn: async (v: Record<string, string>) => {
      try {
        const state = await api.login(loginInput(v.login ?? "", v.password ?? "", methods));
        if (state.status === "unauthenticated" && !pendingFlow(state.flows)) {
          throw new ApiError({ status: 401, auth: state, message: "Sign-in did not complete: this account cannot sign in." });
        }
        return state;
      } catch (e) {
        // Already signed in (another tab): carry on with that session.
        if (e instanceof ApiError && e.status === 409) return api.getSession();
        throw e;
      }
    },
    onSuccess: (state) => finish(state, state.status === "authenticated" ? { to: next } : {}),
  });

  return (
    <Page title="Sign in">
      <InProgress auth={auth} />
      <ApiForm onValues={form.submit} error={form.error} formErrors={form.formErrors} label="Sign in">
        <Field
          label={label}
          name="login"
          type={byEmail && !byUsername ? "email" : "text"}
          autoComplete={byEmail && !byUsername ? "email" : "username"}
          autoCapitalize="none"
          spellCheck={false}
          required
          errors={form.fieldErrors.login}
        />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required errors={form.fieldErrors.password} />
        <div className="form-actions">
          <SubmitButton pending={form.pending} retryIn={form.retryIn}>
            Sign in
          </SubmitButton>
          <Link href="/account/password/reset">Forgot your password?</Link>
        </div>
      </ApiForm>
      <ProviderButtons process="login" label="Sign in with a provider" />
      <PasskeyButton onState={(state) => finish(state, state.status === "authenticated" ? { to: next } : {})} />
      <div className="alternatives">
        {cfg.login_by_code_enabled ? (
          <p>
            <Link href="/account/login/code">Email me a sign-in code instead</Link>
          </p>
        ) : null}
        {cfg.is_open_for_signup ? (
          <p>
            New here? <Link href="/account/signup">Create an account</Link>
          </p>
        ) : null}
      </div>
    </Page>
  );
}

export function CodeLoginRequestPage() {
  const cfg = useAccountConfig();
  const finish = useFinishAuth();
  const form = useApiForm({
    fields: ["email"],
    mutationFn: (v: Record<string, string>) => api.requestLoginCode((v.email ?? "").trim()),
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

export function CodeLoginConfirmPage() {
  const auth = useAuth();
  const finish = useFinishAuth();
  const form = useApiForm({
    fields: ["code"],
    mutationFn: (v: Record<string, string>) => api.confirmLoginCode((v.code ?? "").trim()),
    onSuccess: (state) => finish(state),
    describe: (e) =>
      e.status === 409
        ? "This code can no longer be used: codes expire after 3 minutes and stop working after 3 wrong tries. Request a new code."
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
    <Page title="Enter your code" lead="If an account uses that address, we emailed it a sign-in code. It works for 3 minutes.">
      <ApiForm onValues={form.submit} error={form.error} formErrors={form.formErrors} label="Enter the sign-in code">
        <Field
          label="Code"
          name="code"
          hint="For example BCDF-GHJK. Letter case, spaces and dashes don’t matter."
          autoComplete="one-time-code"
          autoCapitalize="characters"
          spellCheck={false}
          required
          errors={form.fieldErrors.code}
        />
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
