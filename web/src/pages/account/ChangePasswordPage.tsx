import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link } from "wouter";
import { api, storeAuth, useAuth } from "../../app/latch";
import { ApiForm, Field, mismatch, SubmitButton, useApiForm } from "../../components/forms";
import { Page } from "../../components/ui";

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
