import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { ApiError, type EmailAddress } from "@latchauth/client";
import { api, keys, storeAuth, useAccountConfig } from "../../app/latch";
import { ApiForm, CodeField, Field, FormErrors, SubmitButton, useApiForm, useRetryCountdown } from "../../components/forms";
import { ErrorPanel, Loading, Page } from "../../components/ui";
import { duration, useLifetimes } from "../../app/brand";

type Action = { kind: "primary" | "remove" | "resend"; email: string };

function actionError(e: unknown, a: Action | undefined): string[] {
  if (!(e instanceof ApiError)) return e ? ["Something went wrong."] : [];
  if (e.status === 403 && e.kind === "forbidden" && a?.kind === "resend") {
    return [`No email was sent to ${a.email}: one was sent a short while ago, or no more can be sent. Check your inbox, or try again in a few minutes.`];
  }
  return e.messages;
}

/** Code mode: the code mailed to an address being added. */
function CodeForm({ email, onDone, onCancel }: { email: string; onDone: () => void; onCancel: () => void }) {
  const qc = useQueryClient();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector("input")?.focus();
  }, []);
  const lifetimes = useLifetimes();
  const form = useApiForm({
    fields: ["code"],
    aliases: { key: "code" },
    mutationFn: (v: Record<string, string>) => api.verifyEmail((v.code ?? "").trim()),
    onSuccess: (state) => {
      storeAuth(qc, state);
      onDone();
    },
    describe: (e) =>
      e.status === 409
        ? `No code is waiting for this address in this browser: it expired (after ${duration(lifetimes.email_verification_code)}) or was cancelled after 3 wrong tries. Send a new code.`
        : null,
  });
  return (
    <div ref={ref} className="row-extra">
      <ApiForm onValues={form.submit} error={form.error} formErrors={form.formErrors} label={`Confirm ${email}`} className="form form-inline">
        <CodeField errors={form.fieldErrors.code} lifetime={lifetimes.email_verification_code} label={`Code sent to ${email}`} />
        <div className="form-actions">
          <SubmitButton pending={form.pending} retryIn={form.retryIn} className="button primary small">
            Confirm
          </SubmitButton>
          <button type="button" className="button small" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </ApiForm>
    </div>
  );
}
export function EmailsPage() {
  const cfg = useAccountConfig();
  const byCode = cfg.email_verification_by_code_enabled;
  const qc = useQueryClient();
  const emails = useQuery({ queryKey: keys.emails, queryFn: api.listEmailAddresses });
  const [status, setStatus] = useState<string | null>(null);
  const [codeFor, setCodeFor] = useState<string | null>(null);
  const [addRound, setAddRound] = useState(0);
  const statusRef = useRef<HTMLDivElement>(null);

  const announce = (message: string) => {
    setStatus(message);
    // The row that had focus may be gone: keep keyboard users in place.
    window.requestAnimationFrame(() => statusRef.current?.focus());
  };

  const action = useMutation({
    mutationFn: async (a: Action): Promise<EmailAddress[] | null> => {
      switch (a.kind) {
        case "primary":
          return api.markPrimaryEmailAddress(a.email);
        case "remove":
          return api.removeEmailAddress(a.email);
        case "resend":
          await api.requestEmailVerification(a.email);
          return null;
      }
    },
    onMutate: () => {
      // Another action: the add form's old error no longer applies.
      setStatus(null);
      add.reset();
    },
    onSuccess: (list, a) => {
      if (list) qc.setQueryData(keys.emails, list);
      // The primary address is the user's email: refresh the session too.
      void qc.invalidateQueries({ queryKey: keys.session });
      if (a.kind === "primary") announce(`${a.email} is now your primary address.`);
      if (a.kind === "remove") announce(`${a.email} was removed.`);
      if (a.kind === "resend") {
        if (byCode) setCodeFor(a.email);
        announce(byCode ? `We sent a code to ${a.email}.` : `We sent a confirmation link to ${a.email}.`);
      }
    },
  });
  const actionRetry = useRetryCountdown(action.error);

  const add = useApiForm({
    fields: ["email"],
    mutationFn: (v: Record<string, string>) => {
      setStatus(null);
      action.reset();
      return api.addEmailAddress((v.email ?? "").trim());
    },
    onSuccess: (list, v) => {
      const email = (v.email ?? "").trim().toLowerCase();
      qc.setQueryData(keys.emails, list);
      setAddRound((r) => r + 1);
      if (byCode) setCodeFor(email);
      announce(byCode ? `We sent a code to ${email}. Enter it below to confirm the address.` : `We sent a confirmation link to ${email}.`);
    },
  });

  const list = emails.data ?? [];
  const hasVerified = list.some((e) => e.verified);
  const busy = action.isPending;

  return (
    <Page title="Email addresses" wide lead="Your primary address is the one we send account email to.">
      <div ref={statusRef} tabIndex={-1} role="status" className={status ? "notice notice-success" : "visually-hidden"}>
        {status}
      </div>
      <FormErrors messages={actionError(action.error, action.variables)} />
      {emails.isPending ? (
        <Loading label="Loading your email addresses…" />
      ) : emails.isError ? (
        <ErrorPanel error={emails.error} retry={() => void emails.refetch()} />
      ) : list.length === 0 ? (
        <p className="empty">You have no email addresses yet. Add one below.</p>
      ) : (
        <ul className="rows" aria-label="Your email addresses">
          {list.map((e) => (
            <li key={e.email} className="row">
              <div className="row-main">
                <span className="row-title">{e.email}</span>
                <span className="badges">
                  {e.primary ? <span className="badge badge-primary">Primary</span> : null}
                  {e.verified ? <span className="badge badge-ok">Confirmed</span> : <span className="badge badge-warn">Not confirmed</span>}
                </span>
              </div>
              <div className="row-actions">
                {!e.primary && (e.verified || !hasVerified) ? (
                  <button type="button" className="button small" disabled={busy} onClick={() => action.mutate({ kind: "primary", email: e.email })}>
                    Make primary<span className="visually-hidden"> {e.email}</span>
                  </button>
                ) : null}
                {!e.verified ? (
                  <button
                    type="button"
                    className="button small"
                    disabled={busy || actionRetry > 0}
                    onClick={() => action.mutate({ kind: "resend", email: e.email })}
                  >
                    {byCode ? "Send code" : "Resend link"}
                    <span className="visually-hidden"> to {e.email}</span>
                  </button>
                ) : null}
                {!e.verified && byCode && codeFor !== e.email ? (
                  <button type="button" className="button small" onClick={() => setCodeFor(e.email)}>
                    Enter code<span className="visually-hidden"> for {e.email}</span>
                  </button>
                ) : null}
                {!e.primary ? (
                  <button type="button" className="button small danger" disabled={busy} onClick={() => action.mutate({ kind: "remove", email: e.email })}>
                    Remove<span className="visually-hidden"> {e.email}</span>
                  </button>
                ) : null}
              </div>
              {!e.verified && byCode && codeFor === e.email ? (
                <CodeForm
                  email={e.email}
                  onDone={() => {
                    setCodeFor(null);
                    announce(`${e.email} is confirmed.`);
                  }}
                  onCancel={() => setCodeFor(null)}
                />
              ) : null}
            </li>
          ))}
        </ul>
      )}

      <section aria-labelledby="add-heading" className="card">
        <h2 id="add-heading">Add an email address</h2>
        <ApiForm key={addRound} onValues={add.submit} error={add.error} formErrors={add.formErrors} label="Add an email address" className="form form-inline">
          <Field label="Email" name="email" type="email" autoComplete="email" required errors={add.fieldErrors.email} />
          <div className="form-actions">
            <SubmitButton pending={add.pending} retryIn={add.retryIn}>
              Add address
            </SubmitButton>
          </div>
        </ApiForm>
      </section>
    </Page>
  );
}
