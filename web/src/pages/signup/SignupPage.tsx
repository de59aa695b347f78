import { Link } from "wouter";
import { api, useAccountConfig, useFinishAuth } from "../../app/latch";
import { ApiForm, Field, mismatch, SubmitButton, useApiForm } from "../../components/forms";
import { Page } from "../../components/ui";
import { rememberSentTo } from "../../app/sentTo";
import { ProviderButtons } from "../providers/ProviderButtons";

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
      rememberSentTo("verify", email);
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
      <ProviderButtons process="login" label="Sign up with a provider" />
      <div className="alternatives">
        <p>
          Already have an account? <Link href="/account/login">Sign in</Link>
        </p>
      </div>
    </Page>
  );
}
