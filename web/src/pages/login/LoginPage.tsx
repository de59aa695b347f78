import { Link, useSearch } from "wouter";
import { ApiError, nextStep, pendingFlow, type AuthState, type LoginInput } from "@latchauth/client";
import { api, safeNext, STEP_PATHS, useAccountConfig, useAuth, useFinishAuth } from "../../app/latch";
import { ApiForm, Field, SubmitButton, useApiForm } from "../../components/forms";
import { Page } from "../../components/ui";
import { rememberSentTo } from "../../app/sentTo";
import { ProviderButtons } from "../providers/ProviderButtons";
import { PasskeyLoginButton } from "../webauthn/WebAuthnButtons";

/** The login input for what was typed: an address when it has an "@" (and email login is on). */
export function loginInput(login: string, password: string, methods: readonly string[]): LoginInput {
  const v = login.trim();
  const byEmail = methods.includes("email");
  const byUsername = methods.includes("username");
  if (byEmail && (!byUsername || v.includes("@"))) return { email: v, password };
  return { username: v, password };
}

/**
 * The server words a wrong password by the identifier it was sent
 * ("The email address and/or password…"); this words it by what the user
 * typed, and says so when a username was typed where only addresses sign in.
 */
export function loginError(e: unknown, input: LoginInput, methods: readonly string[]): unknown {
  if (!(e instanceof ApiError) || e.status !== 400) return e;
  const typed = input.email ?? input.username ?? "";
  const message = (code: string, original: string): string => {
    if (code !== "email_password_mismatch" && code !== "username_password_mismatch") return original;
    if (input.email !== undefined && !typed.includes("@") && !methods.includes("username")) {
      return `“${typed}” is not an email address. Sign in with your email address and password.`;
    }
    return input.email !== undefined
      ? "The email address or the password is not correct."
      : "The username or the password is not correct.";
  };
  return new ApiError({
    status: e.status,
    errors: e.errors.map((x) => ({ ...x, message: message(x.code, x.message) })),
    retryAfter: e.retryAfter,
    auth: e.auth,
  });
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
        const input = loginInput(v.login ?? "", v.password ?? "", methods);
        if (input.email) rememberSentTo("verify", input.email);
        const state = await api.login(input).catch((e: unknown) => Promise.reject(loginError(e, input, methods)));
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
      <PasskeyLoginButton onState={(state) => finish(state, state.status === "authenticated" ? { to: next } : {})} />
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
