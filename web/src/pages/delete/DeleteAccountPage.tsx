import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";
import { ApiError, hasFlow, type AuthState } from "@latchauth/client";
import { useBrand } from "../../app/brand";
import { api, useAuth, useFinishAuth } from "../../app/latch";
import { forgetSignedIn } from "../../app/signedOut";
import { ApiForm, CodeField, Field, FormErrors, SubmitButton, useApiForm } from "../../components/forms";
import { Notice, Page } from "../../components/ui";

export const DELETED_MESSAGE = "Your account was deleted. We emailed you a confirmation.";

/**
 * What the server asks before deleting: nothing (done), or to confirm who
 * this is — with the password (`reauthenticate`) or, without one, a code
 * of the second factor (`mfa_reauthenticate`).
 */
export type Confirmation = "done" | "password" | "mfa";

export function confirmationFor(state: AuthState): Confirmation {
  if (state.status !== "reauthentication_required") return "done";
  return hasFlow(state.flows, "reauthenticate") ? "password" : "mfa";
}

/** `/account/delete`: deletes the account, after confirming the password when the session is not fresh. */
export function DeleteAccountPage() {
  const auth = useAuth();
  const { accountDeletion } = useBrand();
  const finish = useFinishAuth();
  const [asked, setAsked] = useState<Confirmation | null>(null);

  const done = (state: AuthState) => {
    forgetSignedIn();
    finish(state, { to: "/account/login", flash: DELETED_MESSAGE });
  };
  /** Deletes; a session that must reauthenticate first is asked to. */
  const attempt = async (): Promise<AuthState | null> => {
    const state = await api.deleteAccount();
    const next = confirmationFor(state);
    if (next === "done") return state;
    setAsked(next);
    return null;
  };
  const del = useMutation({
    mutationFn: attempt,
    onSuccess: (state) => {
      if (state) done(state);
    },
  });
  const reauth = useApiForm({
    fields: ["password", "code"],
    mutationFn: async (v: Record<string, string>) => {
      if (asked === "mfa") await api.mfaReauthenticate((v.code ?? "").trim());
      else await api.reauthenticate(v.password ?? "");
      return attempt();
    },
    onSuccess: (state) => {
      if (state) done(state);
    },
  });

  const off = !accountDeletion || (del.error instanceof ApiError && del.error.status === 404);
  if (off) {
    return (
      <Page title="Delete your account">
        <p>Deleting an account is turned off on this server. Ask an administrator.</p>
        <p>
          <Link href="/account">Back to your account</Link>
        </p>
      </Page>
    );
  }
  const who = auth.status !== "unauthenticated" ? auth.user.display : "";
  return (
    <Page title="Delete your account">
      <Notice kind="warning">
        <p>
          This deletes <strong>{who}</strong> for good: your email addresses, password, sessions on every device and
          everything else we keep about you. It cannot be undone.
        </p>
      </Notice>
      {asked === null ? (
        <form
          className="form"
          aria-label="Delete your account"
          onSubmit={(e) => {
            e.preventDefault();
            del.mutate();
          }}
        >
          <FormErrors messages={del.error ? [(del.error as Error).message] : []} />
          <div className="field field-check">
            <label>
              <input type="checkbox" name="confirm" required /> I understand that my account and its data will be deleted.
            </label>
          </div>
          <div className="form-actions">
            <button type="submit" className="button danger" disabled={del.isPending} aria-busy={del.isPending || undefined}>
              {del.isPending ? "Please wait…" : "Delete my account"}
            </button>
            <Link href="/account">Cancel</Link>
          </div>
        </form>
      ) : (
        <ApiForm onValues={reauth.submit} error={reauth.error} formErrors={reauth.formErrors} label="Confirm it is you">
          <p>{asked === "mfa" ? "To delete your account, enter a code from your authenticator app." : "To delete your account, enter your password."}</p>
          {asked === "mfa" ? (
            <CodeField errors={reauth.fieldErrors.code} label="Authenticator code" hint="The 6-digit code your app shows now, or a recovery code." />
          ) : (
            <Field label="Password" name="password" type="password" autoComplete="current-password" required errors={reauth.fieldErrors.password} />
          )}
          <div className="form-actions">
            <SubmitButton pending={reauth.pending} retryIn={reauth.retryIn} className="button danger">
              Delete my account
            </SubmitButton>
            <Link href="/account">Cancel</Link>
          </div>
        </ApiForm>
      )}
    </Page>
  );
}
