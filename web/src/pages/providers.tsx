// Social login: the provider buttons of the sign-in and sign-up pages, the
// page a provider login lands on, the provider signup form, and the
// connected accounts.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useLocation, useSearch } from "wouter";
import { ApiError, BROWSER_API_PREFIX, CSRF_COOKIE, nextStep, readCookie, type Provider } from "../api";
import { api, keys, STEP_PATHS, storeAuth, useAccountConfig, useAuth, useConfig, useFinishAuth } from "../app/latch";
import { ApiForm, Field, FormErrors, SubmitButton, useApiForm } from "../components/forms";
import { ErrorPanel, Loading, Notice, Page } from "../components/ui";

/** Where a provider login comes back to. */
export const PROVIDER_CALLBACK = "/account/provider/callback";

/** The providers that can be used from a browser (GET /config lists them). */
function useProviders(): Provider[] {
  const { data } = useConfig();
  return (data?.socialaccount?.providers ?? []).filter((p) => p.flows.includes("provider_redirect"));
}

/**
 * One button per provider: an HTML form POST to the redirect endpoint (a
 * navigation, not a fetch: the browser goes on to the provider), with the
 * CSRF token as csrfmiddlewaretoken.
 */
export function ProviderButtons({ process, label }: { process: "login" | "connect"; label: string }) {
  const providers = useProviders();
  if (providers.length === 0) return null;
  const action = (api.baseUrl || "") + BROWSER_API_PREFIX + "/auth/provider/redirect";
  return (
    <div className="providers" aria-label={label} role="group">
      {providers.map((p) => (
        <form
          key={p.id}
          method="post"
          action={action}
          onSubmit={(e) => {
            const token = e.currentTarget.elements.namedItem("csrfmiddlewaretoken") as HTMLInputElement;
            token.value = readCookie(document.cookie, CSRF_COOKIE) ?? "";
          }}
        >
          <input type="hidden" name="provider" value={p.id} />
          <input type="hidden" name="process" value={process} />
          <input type="hidden" name="callback_url" value={`${window.location.origin}${PROVIDER_CALLBACK}?process=${process}`} />
          <input type="hidden" name="csrfmiddlewaretoken" value="" />
          <button type="submit" className="button">
            {process === "login" ? `Continue with ${p.name}` : `Connect ${p.name}`}
          </button>
        </form>
      ))}
    </div>
  );
}

/** allauth's `error` values of a provider login, in words. */
const PROVIDER_ERRORS: Record<string, string> = {
  cancelled: "The sign-in was cancelled at the provider.",
  denied: "The provider refused the sign-in.",
  signup_closed: "New accounts cannot be created here at the moment.",
  connected_other: "That provider account is already connected to a different account here.",
  reauthentication_required: "Please sign in again, then retry.",
  permission_denied: "You are not allowed to sign in this way.",
  unknown: "The sign-in with the provider did not work (it may have taken too long, or been started in another browser). Please try again.",
};

/** Where a provider login or connect lands: an error in words, or on to the next step. */
export function ProviderCallbackPage() {
  const params = new URLSearchParams(useSearch());
  const error = params.get("error");
  const connect = (params.get("error_process") ?? params.get("process")) === "connect";
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const [failed, setFailed] = useState<unknown>(null);
  useEffect(() => {
    if (error) return;
    let live = true;
    api.getSession().then(
      (state) => {
        if (!live) return;
        storeAuth(qc, state);
        navigate(connect && state.status === "authenticated" ? "/account/providers" : STEP_PATHS[nextStep(state).step]);
      },
      (e: unknown) => live && setFailed(e),
    );
    return () => {
      live = false;
    };
  }, [error, connect, qc, navigate]);
  if (failed) return <Page title="Signing in">{<ErrorPanel error={failed} />}</Page>;
  if (!error) return <Loading label="Signing you in…" />;
  return (
    <Page title={connect ? "Could not connect" : "Could not sign in"}>
      <Notice kind="error">{PROVIDER_ERRORS[error] ?? PROVIDER_ERRORS.unknown}</Notice>
      <p>{connect ? <Link href="/account/providers">Back to connected accounts</Link> : <Link href="/account/login">Back to sign in</Link>}</p>
    </Page>
  );
}

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

/** Words for a refused disconnect. */
function disconnectError(e: unknown): string[] {
  if (e instanceof ApiError && e.hasCode("no_password")) {
    return ["This is the only way to sign in to your account: set a password first, then disconnect it."];
  }
  if (e instanceof ApiError && e.hasCode("no_verified_email")) {
    return ["This is your last sign-in method and your account has no verified email address: verify one first."];
  }
  return e instanceof ApiError ? e.messages : e ? ["Something went wrong."] : [];
}

/** The connected accounts: list, disconnect, connect another. */
export function ProvidersPage() {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: [...keys.account, "providers"], queryFn: api.listProviderAccounts });
  const [status, setStatus] = useState<string | null>(null);
  const disconnect = useMutation({
    mutationFn: (a: { provider: string; uid: string; name: string }) => api.disconnectProviderAccount(a.provider, a.uid),
    onMutate: () => setStatus(null),
    onSuccess: (accounts, a) => {
      qc.setQueryData([...keys.account, "providers"], accounts);
      setStatus(`${a.name} was disconnected.`);
    },
  });
  return (
    <Page title="Connected accounts" lead="Accounts at other providers you can sign in with.">
      {status ? <Notice kind="success">{status}</Notice> : null}
      <FormErrors messages={disconnectError(disconnect.error)} />
      {disconnect.error instanceof ApiError && disconnect.error.hasCode("no_password") ? (
        <p>
          <Link href="/account/password/change">Set a password</Link>
        </p>
      ) : null}
      {list.isPending ? <Loading /> : null}
      {list.error ? <ErrorPanel error={list.error} retry={() => void list.refetch()} /> : null}
      {list.data && list.data.length === 0 ? <p className="empty">No provider account is connected.</p> : null}
      {list.data && list.data.length > 0 ? (
        <ul className="rows" aria-label="Your connected accounts">
          {list.data.map((a) => (
            <li key={a.provider.id + ":" + a.uid} className="row">
              <div className="row-main">
                <span className="row-title">{a.provider.name}</span> <span>{a.display}</span>
              </div>
              <div className="row-actions">
              <button
                type="button"
                className="button small danger"
                disabled={disconnect.isPending}
                onClick={() => disconnect.mutate({ provider: a.provider.id, uid: a.uid, name: a.provider.name })}
              >
                Disconnect
              </button>
              </div>
            </li>
          ))}
        </ul>
      ) : null}
      <h2>Connect another</h2>
      <ProviderButtons process="connect" label="Connect a provider account" />
    </Page>
  );
}
