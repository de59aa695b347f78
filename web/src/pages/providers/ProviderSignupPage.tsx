import { useQuery } from "@tanstack/react-query";
import { Link } from "wouter";
import { api, useAccountConfig, useAuth, useFinishAuth } from "../../app/latch";
import { ApiForm, Field, SubmitButton, useApiForm } from "../../components/forms";
import { ErrorPanel, Loading, Notice, Page } from "../../components/ui";

/** The provider_signup stage: choose the new account's address (and username). */
export function ProviderSignupPage() {
  const cfg = useAccountConfig();
  const auth = useAuth();
  const finish = useFinishAuth();
  const pending = auth.status === "unauthenticated" && auth.flows.some((f) => f.id === "provider_signup" && f.is_pending);
  const info = useQuery({ queryKey: ["latch", "provider-signup"], queryFn: api.getProviderSignup, enabled: pending, retry: false });
  const form = useApiForm({
    fields: ["email", "username"],
    mutationFn: (v: Record<string, string>) => {
      const input: { email?: string; username?: string } = {};
      if (v.email?.trim()) input.email = v.email.trim();
      if (v.username?.trim()) input.username = v.username.trim();
      return api.providerSignup(input);
    },
    onSuccess: (state) => finish(state),
  });
  if (!pending) {
    return (
      <Page title="Create your account">
        <p>No sign-in with a provider is waiting here.</p>
        <p>
          <Link href="/account/login">Sign in</Link>
        </p>
      </Page>
    );
  }
  if (info.isPending) return <Loading />;
  if (info.error) return <ErrorPanel error={info.error} retry={() => void info.refetch()} />;
  const fields = cfg.signup_fields ?? { email: { required: true } };
  const offered = info.data.email[0]?.email ?? "";
  const provider = info.data.account.provider.name;
  return (
    <Page title="Create your account" lead={`You signed in with ${provider} as ${info.data.account.display}. Choose the details of your account here.`}>
      {offered ? null : <Notice>{provider} did not give an email address.</Notice>}
      <ApiForm onValues={form.submit} error={form.error} formErrors={form.formErrors} label="Create your account">
        {fields.email ? (
          <Field
            label="Email"
            name="email"
            type="email"
            autoComplete="email"
            defaultValue={offered}
            required={fields.email.required}
            optional={!fields.email.required}
            errors={form.fieldErrors.email}
            hint="If an account already uses this address, sign in to it first and connect the provider from its settings."
          />
        ) : null}
        {fields.username ? (
          <Field
            label="Username"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required={fields.username.required}
            optional={!fields.username.required}
            errors={form.fieldErrors.username}
          />
        ) : null}
        <div className="form-actions">
          <SubmitButton pending={form.pending} retryIn={form.retryIn}>
            Create account
          </SubmitButton>
        </div>
      </ApiForm>
    </Page>
  );
}
