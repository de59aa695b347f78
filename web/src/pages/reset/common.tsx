import { isPending, type AuthState, type User } from "@latchauth/client";
import { api, useFinishAuth } from "../../app/latch";
import { duration, useLifetimes } from "../../app/brand";
import { ApiForm, Field, mismatch, SubmitButton, useApiForm } from "../../components/forms";

/** Why a reset code stopped working, with the codes' lifetime in seconds. */
export function expiredCode(lifetime: number): string {
  return `This password reset can no longer be used: codes expire after ${duration(lifetime)} and stop working after 3 wrong tries.`;
}

/** Where a finished reset leads: signed in (when the server logs in after a reset), or to sign in. */
export function useResetDone() {
  const finish = useFinishAuth();
  return (state: AuthState) =>
    state.status === "authenticated"
      ? finish(state, { to: "/account", flash: "Your password has been changed." })
      : isPending(state, "verify_email")
        ? finish(state)
        : finish(state, { to: "/account/login", flash: "Your password has been changed. Sign in with your new password." });
}

/** The new password, typed twice, for a key (link) or code. */
export function NewPasswordForm({ resetKey, user, keyErrorHint }: { resetKey: string; user: User; keyErrorHint: string }) {
  const done = useResetDone();
  const lifetimes = useLifetimes();
  const form = useApiForm({
    fields: ["password", "password2"],
    mutationFn: (v: Record<string, string>) => {
      if (v.password !== v.password2) return Promise.reject(mismatch("password2"));
      return api.resetPassword({ key: resetKey, password: v.password ?? "" });
    },
    onSuccess: done,
    describe: (e) => (e.status === 409 ? `${expiredCode(lifetimes.password_reset_code)} ${keyErrorHint}` : e.errors.some((x) => x.param === "key") ? `${e.messages.join(" ")} ${keyErrorHint}` : null),
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
