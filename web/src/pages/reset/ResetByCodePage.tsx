import { useState } from "react";
import { Link } from "wouter";
import { isPending, type User } from "@latchauth/client";
import { api, useAuth } from "../../app/latch";
import { ApiForm, CodeField, SubmitButton, useApiForm } from "../../components/forms";
import { Page } from "../../components/ui";
import { duration, useLifetimes } from "../../app/brand";
import { sentTo } from "../../app/sentTo";
import { StartOver } from "../../components/flowButtons";
import { expiredCode, NewPasswordForm } from "./common";

/** Reset by code: enter the mailed code (checked), then the new password. */
export function ResetByCodePage() {
  const auth = useAuth();
  const lifetimes = useLifetimes();
  const address = sentTo("reset");
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
    describe: (e) => (e.status === 409 ? `${expiredCode(lifetimes.password_reset_code)} Request a new code.` : null),
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
    <Page
      title={title}
      lead={
        <>
          If an account uses {address ? <strong>{address}</strong> : "that address"}, we emailed it a code. It works for{" "}
          {duration(lifetimes.password_reset_code)}.
        </>
      }
    >
      <ApiForm onValues={form.submit} error={form.error} formErrors={form.formErrors} label="Enter the reset code">
        <CodeField errors={form.fieldErrors.code} lifetime={lifetimes.password_reset_code} />
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
