import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { ApiError, type WebAuthnAuthenticator } from "@latchauth/client";
import { api, keys, useConfig } from "../../app/latch";
import { ApiForm, Field, FormErrors, SubmitButton, useApiForm } from "../../components/forms";
import { Notice, Time } from "../../components/ui";
import { createCredential, webAuthnMessage, webAuthnSupported } from "./webauthn";

/** Wraps a sensitive call: a stale session is sent to confirm who it is (the Two-factor page's own). */
export type Sensitive = <T>(fn: () => Promise<T>) => () => Promise<T>;

/** A refusal the sensitive wrapper already handles by going to reauthenticate. */
function isReauth(e: unknown): boolean {
  return e instanceof ApiError && e.status === 401 && e.auth?.status === "reauthentication_required";
}

/** Makes a credential in the browser and adds it under a name. */
export async function addSecurityKey(name: string, passwordless: boolean): Promise<WebAuthnAuthenticator> {
  const { creation_options } = await api.getWebAuthnCreationOptions(passwordless);
  const credential = await createCredential(creation_options.publicKey);
  return api.addWebAuthn(name, credential);
}

/** One key: its name, dates, Rename (an inline form) and Delete. */
function KeyRow({ k, sensitive, onChange }: { k: WebAuthnAuthenticator; sensitive: Sensitive; onChange: () => void }) {
  const [renaming, setRenaming] = useState(false);
  const rename = useApiForm({
    fields: ["name"],
    mutationFn: (v: Record<string, string>) => sensitive(() => api.renameWebAuthn(k.id, (v.name ?? "").trim()))(),
    onSuccess: () => {
      setRenaming(false);
      onChange();
    },
  });
  const del = useMutation({ mutationFn: sensitive(() => api.deleteWebAuthn([k.id])), onSuccess: onChange });
  return (
    <li className="webauthn-key" aria-label={k.name}>
      {renaming ? (
        <ApiForm onValues={rename.submit} error={rename.error} formErrors={rename.formErrors} label={`Rename ${k.name}`}>
          <Field label="New name" name="name" defaultValue={k.name} required maxLength={64} errors={rename.fieldErrors.name} />
          <div className="form-actions">
            <SubmitButton pending={rename.pending} retryIn={rename.retryIn}>
              Save
            </SubmitButton>
            <button type="button" className="button" onClick={() => setRenaming(false)}>
              Cancel
            </button>
          </div>
        </ApiForm>
      ) : (
        <>
          <p>
            <strong>{k.name}</strong> {k.is_passwordless ? "(passkey)" : "(security key)"} · added <Time at={k.created_at} />
            {k.last_used_at ? (
              <>
                , last used <Time at={k.last_used_at} />
              </>
            ) : null}
          </p>
          <div className="form-actions">
            <button type="button" className="button" onClick={() => setRenaming(true)}>
              Rename<span className="visually-hidden"> {k.name}</span>
            </button>
            <button type="button" className="button danger" onClick={() => del.mutate()} disabled={del.isPending}>
              Delete<span className="visually-hidden"> {k.name}</span>
            </button>
          </div>
          <FormErrors messages={del.error && !isReauth(del.error) ? [webAuthnMessage(del.error)] : []} />
        </>
      )}
    </li>
  );
}

/**
 * The Two-factor page's security keys and passkeys: the list, and a form
 * to add one (a passkey, which can sign in alone, when passkey login is on).
 */
export function SecurityKeysSection({ list, sensitive }: { list: readonly WebAuthnAuthenticator[]; sensitive: Sensitive }) {
  const qc = useQueryClient();
  const passkeyLogin = useConfig().data?.mfa?.passkey_login_enabled === true;
  const [added, setAdded] = useState<string | null>(null);
  const addForm = useRef<HTMLFormElement>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: keys.account });
  const add = useMutation({
    mutationFn: (v: { name: string; passwordless: boolean }) => sensitive(() => addSecurityKey(v.name, v.passwordless))(),
    onSuccess: (k) => {
      setAdded(k.is_passwordless ? "Your passkey was added." : "Your security key was added.");
      addForm.current?.reset();
      refresh();
    },
  });
  return (
    <section className="card" aria-labelledby="webauthn-heading">
      <h2 id="webauthn-heading">Security keys and passkeys</h2>
      {added ? <Notice kind="success">{added}</Notice> : null}
      {list.length > 0 ? (
        <ul className="webauthn-keys" aria-label="Security keys and passkeys">
          {list.map((k) => (
            <KeyRow key={k.id} k={k} sensitive={sensitive} onChange={refresh} />
          ))}
        </ul>
      ) : (
        <p>None yet. A security key (or your device's screen lock) can be your second step at sign-in.</p>
      )}
      {webAuthnSupported() ? (
        <form
          ref={addForm}
          className="form"
          aria-label="Add a security key or passkey"
          onSubmit={(e) => {
            e.preventDefault();
            setAdded(null);
            const f = new FormData(e.currentTarget);
            const passwordless = passkeyLogin && f.get("passwordless") === "on";
            const name = String(f.get("name") ?? "").trim() || (passwordless ? "Passkey" : "Security key");
            add.mutate({ name, passwordless });
          }}
        >
          <FormErrors messages={add.error && !isReauth(add.error) ? [webAuthnMessage(add.error)] : []} />
          <Field label="Name" name="name" optional maxLength={64} hint="To tell your keys apart, e.g. “Work laptop”." />
          {passkeyLogin ? (
            <div className="field field-check">
              <label>
                <input type="checkbox" name="passwordless" defaultChecked /> Sign in with it without a password (a passkey)
              </label>
            </div>
          ) : null}
          <div className="form-actions">
            <button type="submit" className="button primary" disabled={add.isPending} aria-busy={add.isPending || undefined}>
              {add.isPending ? "Waiting for your key…" : "Add a security key or passkey"}
            </button>
          </div>
        </form>
      ) : (
        <p>This browser cannot use security keys or passkeys.</p>
      )}
    </section>
  );
}
