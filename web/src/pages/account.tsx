import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link } from "wouter";
import type { AuthenticationMethod } from "@latchauth/client";
import { api, keys, storeAuth, useAuth, useFinishAuth } from "../app/latch";
import { ApiForm, Field, mismatch, SubmitButton, useApiForm } from "../components/forms";
import { Notice, Page, Time } from "../components/ui";

function methodText(m: AuthenticationMethod): string {
  switch (m.method) {
    case "password":
      return m.reauthenticated ? "confirmed your password" : `password${m.email ? ` (${m.email})` : m.username ? ` (${m.username})` : ""}`;
    case "code":
      return `emailed code${m.email ? ` (${m.email})` : ""}`;
    case "password_reset":
      return "password reset";
    default:
      return m.method;
  }
}

export function HomePage() {
  const auth = useAuth();
  const emails = useQuery({ queryKey: keys.emails, queryFn: api.listEmailAddresses });
  if (auth.status === "unauthenticated") return null;
  const { user, methods } = auth;
  const last = methods[methods.length - 1];
  const unverified = emails.data?.filter((e) => !e.verified) ?? [];
  const primary = emails.data?.find((e) => e.primary);
  return (
    <Page title="Your account" wide>
      <p className="lead">
        Signed in as <strong>{user.display}</strong>.
      </p>
      {unverified.length > 0 ? (
        <Notice kind="warning">
          <p>
            {unverified.length === 1 ? `${unverified[0]?.email} is not confirmed yet.` : `${unverified.length} email addresses are not confirmed yet.`}{" "}
            <Link href="/account/email">Confirm it on the email page</Link>
          </p>
        </Notice>
      ) : null}
      <section aria-labelledby="details-heading" className="card">
        <h2 id="details-heading">Details</h2>
        <dl className="details">
          <div>
            <dt>Email</dt>
            <dd>
              {user.email ?? "None"}
              {primary ? (
                primary.verified ? (
                  <span className="badge badge-ok">Confirmed</span>
                ) : (
                  <span className="badge badge-warn">Not confirmed</span>
                )
              ) : null}
            </dd>
          </div>
          {user.username ? (
            <div>
              <dt>Username</dt>
              <dd>{user.username}</dd>
            </div>
          ) : null}
          <div>
            <dt>Password</dt>
            <dd>{user.has_usable_password ? "Set" : "Not set"}</dd>
          </div>
          {last ? (
            <div>
              <dt>This session</dt>
              <dd>
                Signed in with {methodText(last)}, <Time at={last.at} />
              </dd>
            </div>
          ) : null}
          <div>
            <dt>Account ID</dt>
            <dd>
              <code>{user.id}</code>
            </dd>
          </div>
        </dl>
      </section>
      <ul className="tiles">
        <li>
          <Link href="/account/email">
            <strong>Email addresses</strong>
            <span>Add, confirm, choose the primary one</span>
          </Link>
        </li>
        <li>
          <Link href="/account/password/change">
            <strong>Password</strong>
            <span>{user.has_usable_password ? "Change your password" : "Set a password"}</span>
          </Link>
        </li>
        <li>
          <Link href="/account/sessions">
            <strong>Sessions</strong>
            <span>Where you are signed in</span>
          </Link>
        </li>
      </ul>
    </Page>
  );
}

export function ChangePasswordPage() {
  const auth = useAuth();
  const qc = useQueryClient();
  const [round, setRound] = useState(0);
  const [done, setDone] = useState(false);
  const doneRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // The form was reset: keep keyboard users at the confirmation.
    if (done) doneRef.current?.focus();
  }, [done]);
  const hasPassword = auth.status !== "unauthenticated" && auth.user.has_usable_password;
  const form = useApiForm({
    fields: ["current_password", "new_password", "new_password2"],
    mutationFn: (v: Record<string, string>) => {
      if (v.new_password !== v.new_password2) return Promise.reject(mismatch("new_password2"));
      return api.changePassword({
        ...(hasPassword ? { current_password: v.current_password ?? "" } : {}),
        new_password: v.new_password ?? "",
      });
    },
    onSuccess: (state) => {
      storeAuth(qc, state);
      setDone(true);
      setRound((r) => r + 1);
    },
  });
  const title = hasPassword ? "Change password" : "Set a password";
  return (
    <Page title={title}>
      {done && !form.error ? (
        <div ref={doneRef} tabIndex={-1} className="notice notice-success" role="status">
          <p>Your password has been {hasPassword ? "changed" : "set"}. Your other sessions were signed out.</p>
        </div>
      ) : null}
      <ApiForm
        key={round}
        onValues={(v) => {
          setDone(false);
          form.submit(v);
        }}
        error={form.error}
        formErrors={form.formErrors}
        label={title}
      >
        {auth.status !== "unauthenticated" ? (
          <input type="hidden" name="username" autoComplete="username" value={auth.user.username ?? auth.user.email ?? ""} />
        ) : null}
        {hasPassword ? (
          <Field
            label="Current password"
            name="current_password"
            type="password"
            autoComplete="current-password"
            required
            errors={form.fieldErrors.current_password}
          />
        ) : null}
        <Field
          label="New password"
          name="new_password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 8 characters; not a common password, not only digits."
          errors={form.fieldErrors.new_password}
        />
        <Field
          label="New password (again)"
          name="new_password2"
          type="password"
          autoComplete="new-password"
          required
          errors={form.fieldErrors.new_password2}
        />
        <div className="form-actions">
          <SubmitButton pending={form.pending} retryIn={form.retryIn}>
            {hasPassword ? "Change password" : "Set password"}
          </SubmitButton>
          {hasPassword ? <Link href="/account/password/reset">Forgot your password?</Link> : null}
        </div>
      </ApiForm>
    </Page>
  );
}

/** Logs out; used by the nav's button and the logout page. */
export function useLogout() {
  const finish = useFinishAuth();
  return useMutation({
    mutationFn: api.logout,
    onSuccess: (state) => finish(state, { to: "/account/login", flash: "You have been signed out." }),
  });
}

export function LogoutPage() {
  const auth = useAuth();
  const logout = useLogout();
  return (
    <Page title="Sign out">
      <p>{auth.status !== "unauthenticated" ? <>You are signed in as <strong>{auth.user.display}</strong>.</> : "You are not signed in."}</p>
      {logout.isError ? (
        <Notice kind="error">
          <p>{(logout.error as Error).message}</p>
        </Notice>
      ) : null}
      <div className="form-actions">
        <button type="button" className="button primary" onClick={() => logout.mutate()} disabled={logout.isPending}>
          {logout.isPending ? "Signing out…" : "Sign out"}
        </button>
        <Link href="/account">Cancel</Link>
      </div>
    </Page>
  );
}
