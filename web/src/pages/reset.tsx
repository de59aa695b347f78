import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "wouter";
import { ApiError, isPending, type AuthState, type User } from "@latchauth/client";
import { api, useAccountConfig, useAuth, useFinishAuth } from "../app/latch";
import { ApiForm, Field, mismatch, SubmitButton, useApiForm } from "../components/forms";
import { ErrorPanel, Loading, Notice, Page } from "../components/ui";
import { StartOver } from "./shared";

const EXPIRED_CODE =
  "This password reset can no longer be used: codes expire after 3 minutes and stop working after 3 wrong tries.";

/** Where a finished reset leads: signed in (when the server logs in after a reset), or to sign in. */
function useResetDone() {
  const finish = useFinishAuth();
  return (state: AuthState) =>
    state.status === "authenticated"
      ? finish(state, { to: "/account", flash: "Your password has been changed." })
      : isPending(state, "verify_email")
        ? finish(state)
        : finish(state, { to: "/account/login", flash: "Your password has been changed. Sign in with your new password." });
}

export function RequestResetPage() {
  const cfg = useAccountConfig();
  const finish = useFinishAuth();
  const [sentTo, setSentTo] = useState<string | null>(null);
  const form = useApiForm({
    fields: ["email"],
    mutationFn: (v: Record<string, string>) => api.requestPasswordReset((v.email ?? "").trim()),
    onSuccess: (state, v) => {
      if (state === undefined) setSentTo((v.email ?? "").trim());
      else finish(state, { to: "/account/password/reset/code" });
    },
  });
  if (sentTo !== null) {
    return (
      <Page title="Check your email">
        <p>
          If an account uses <strong>{sentTo}</strong>, we sent it a link to choose a new password. The link works for 3 days.
        </p>
        <p>Nothing there? Look in your spam folder, or try again in a few minutes.</p>
        <p>
          <Link href="/account/login">Back to sign in</Link>
        </p>
      </Page>
    );
  }
  return (
    <Page
      title="Reset your password"
      lead={
        cfg.password_reset_by_code_enabled
          ? "Enter your email address and we’ll send you a code to choose a new password."
          : "Enter your email address and we’ll send you a link to choose a new password."
      }
    >
      <ApiForm onValues={form.submit} error={form.error} formErrors={form.formErrors} label="Reset your password">
        <Field label="Email" name="email" type="email" autoComplete="email" required errors={form.fieldErrors.email} />
        <div className="form-actions">
          <SubmitButton pending={form.pending} retryIn={form.retryIn}>
            {cfg.password_reset_by_code_enabled ? "Email me a code" : "Email me a link"}
          </SubmitButton>
          <Link href="/account/login">Back to sign in</Link>
        </div>
      </ApiForm>
    </Page>
  );
}

/** The new password, typed twice, for a key (link) or code. */
function NewPasswordForm({ resetKey, user, keyErrorHint }: { resetKey: string; user: User; keyErrorHint: string }) {
  const done = useResetDone();
  const form = useApiForm({
    fields: ["password", "password2"],
    mutationFn: (v: Record<string, string>) => {
      if (v.password !== v.password2) return Promise.reject(mismatch("password2"));
      return api.resetPassword({ key: resetKey, password: v.password ?? "" });
    },
    onSuccess: done,
    describe: (e) => (e.status === 409 ? `${EXPIRED_CODE} ${keyErrorHint}` : e.errors.some((x) => x.param === "key") ? `${e.messages.join(" ")} ${keyErrorHint}` : null),
  });
  return (
    <ApiForm onValues={form.submit} error={form.error} formErrors={form.formErrors} label="Choose a new password">
      <p>
        Choose a new password for <strong>{user.display}</strong>. You will be signed out everywhere.
      </p>
      <Field
        label="New password"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        hint="At least 8 characters; not a common password, not only digits."
        errors={form.fieldErrors.password}
      />
      <Field label="New password (again)" name="password2" type="password" autoComplete="new-password" required errors={form.fieldErrors.password2} />
      <div className="form-actions">
        <SubmitButton pending={form.pending} retryIn={form.retryIn}>
          Change password
        </SubmitButton>
      </div>
    </ApiForm>
  );
}

/** Reset by code: enter the mailed code (checked), then the new password. */
export function ResetByCodePage() {
  const auth = useAuth();
  const [checked, setChecked] = useState<{ code: string; user: User } | null>(null);
  const form = useApiForm({
    fields: ["code"],
    aliases: { key: "code" },
    mutationFn: async (v: Record<string, string>) => {
      const code = (v.code ?? "").trim();
      const info = await api.getPasswordReset(code);
      return { code, user: info.user };
    },
    onSuccess: setChecked,
    describe: (e) => (e.status === 409 ? `${EXPIRED_CODE} Request a new code.` : null),
  });
  const title = "Reset your password";
  // A signed-in caller's session does not list flows: let it try.
  if (auth.status === "unauthenticated" && !isPending(auth, "password_reset_by_code") && checked === null) {
    return (
      <Page title={title}>
        <p>No password reset is in progress in this browser. It may have expired.</p>
        <p>
          <Link href="/account/password/reset">Request a new code</Link>
        </p>
      </Page>
    );
  }
  if (checked) {
    return (
      <Page title="Choose a new password">
        <NewPasswordForm resetKey={checked.code} user={checked.user} keyErrorHint="Request a new code." />
        <p>
          <Link href="/account/password/reset">Request a new code</Link>
        </p>
      </Page>
    );
  }
  return (
    <Page title={title} lead="If an account uses that address, we emailed it a code. It works for 3 minutes.">
      <ApiForm onValues={form.submit} error={form.error} formErrors={form.formErrors} label="Enter the reset code">
        <Field
          label="Code"
          name="code"
          hint="For example BCDF-GHJK."
          autoComplete="one-time-code"
          autoCapitalize="characters"
          spellCheck={false}
          required
          errors={form.fieldErrors.code}
        />
        <div className="form-actions">
          <SubmitButton pending={form.pending} retryIn={form.retryIn}>
            Continue
          </SubmitButton>
        </div>
      </ApiForm>
      <div className="alternatives">
        <p>
          <Link href="/account/password/reset">Request a new code</Link>
        </p>
        <StartOver label="Cancel" />
      </div>
    </Page>
  );
}

/** The page a reset link opens. */
export function ResetByKeyPage() {
  const { key = "" } = useParams<{ key: string }>();
  const info = useQuery({
    queryKey: ["latch", "password-reset", key],
    queryFn: () => api.getPasswordReset(key),
    retry: false,
    staleTime: Infinity,
    gcTime: 0,
    refetchOnWindowFocus: false,
  });
  const title = "Choose a new password";
  if (info.isPending) {
    return (
      <Page title={title}>
        <Loading label="Checking the link…" />
      </Page>
    );
  }
  if (info.isError) {
    const e = info.error;
    return (
      <Page title={title}>
        {e instanceof ApiError && (e.status === 400 || e.status === 409) ? (
          <>
            <Notice kind="error">
              <p>This link is invalid or has expired. Reset links work once, for 3 days, and stop working when the password changes.</p>
            </Notice>
            <p>
              <Link href="/account/password/reset">Request a new link</Link>
            </p>
          </>
        ) : (
          <ErrorPanel error={e} retry={() => void info.refetch()} />
        )}
      </Page>
    );
  }
  return (
    <Page title={title}>
      <NewPasswordForm resetKey={key} user={info.data.user} keyErrorHint="Request a new link." />
    </Page>
  );
}
