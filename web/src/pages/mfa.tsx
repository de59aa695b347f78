import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { QRCodeSVG } from "qrcode.react";
import { useState } from "react";
import { Link } from "wouter";
import { isPending, type AuthState } from "../api";
import type { RecoveryCodes } from "../api/client";
import { api, useAuth, useConfig, useFinishAuth } from "../app/latch";
import { ApiForm, Field, FormErrors, SubmitButton, useApiForm } from "../components/forms";
import { ErrorPanel, Loading, Page } from "../components/ui";
import { StartOver } from "./shared";

/** `/account/2fa/authenticate`: the second factor of a sign-in (TOTP or a recovery code). */
export function MFAAuthenticatePage() {
  const auth = useAuth();
  const finish = useFinishAuth();
  const form = useApiForm({
    fields: ["code"],
    mutationFn: (v: Record<string, string>) => api.mfaAuthenticate((v.code ?? "").trim()),
    onSuccess: (state) => finish(state),
    describe: (e) => (e.status === 409 ? "This sign-in has ended (too many wrong codes, or it timed out). Sign in again." : null),
  });
  if (!isPending(auth, "mfa_authenticate")) {
    return (
      <Page title="Two-factor authentication">
        <p>There is no sign-in waiting for a second factor in this browser.</p>
        <p>
          <Link href="/account/login">Sign in</Link>
        </p>
      </Page>
    );
  }
  return (
    <Page title="Two-factor authentication" lead="Enter the 6-digit code from your authenticator app, or one of your recovery codes.">
      <ApiForm onValues={form.submit} error={form.error} formErrors={form.formErrors} label="Enter your code">
        <Field label="Code" name="code" inputMode="numeric" autoComplete="one-time-code" spellCheck={false} required errors={form.fieldErrors.code} />
        <div className="form-actions">
          <SubmitButton pending={form.pending} retryIn={form.retryIn}>
            Continue
          </SubmitButton>
        </div>
      </ApiForm>
      <div className="alternatives">
        <StartOver label="Cancel and start over" />
      </div>
    </Page>
  );
}

/** `/account/2fa/trust`: whether to skip the second factor in this browser from now on. */
export function MFATrustPage() {
  const auth = useAuth();
  const finish = useFinishAuth();
  const form = useApiForm({
    fields: ["trust"],
    mutationFn: (v: Record<string, string>) => api.mfaTrust(v.trust === "yes"),
    onSuccess: (state) => finish(state),
  });
  if (!isPending(auth, "mfa_trust")) {
    return (
      <Page title="Trust this browser?">
        <p>
          There is no sign-in waiting for this answer. <Link href="/account">Go to your account</Link>
        </p>
      </Page>
    );
  }
  return (
    <Page title="Trust this browser?" lead="A trusted browser skips the second factor at its next sign-ins, until you change your password or your second factors.">
      <div className="form-actions">
        <button type="button" className="button primary" disabled={form.pending} onClick={() => form.submit({ trust: "yes" })}>
          Trust this browser
        </button>
        <button type="button" className="button" disabled={form.pending} onClick={() => form.submit({ trust: "no" })}>
          Not now
        </button>
      </div>
    </Page>
  );
}

/** `/account/reauthenticate`: confirm who you are before a sensitive change. */
export function ReauthenticatePage() {
  const auth = useAuth();
  const finish = useFinishAuth();
  const byPassword = auth.status !== "reauthentication_required" || auth.flows.some((f) => f.id === "reauthenticate");
  const byCode = auth.status === "reauthentication_required" && auth.flows.some((f) => f.id === "mfa_reauthenticate");
  const password = useApiForm({
    fields: ["password"],
    mutationFn: (v: Record<string, string>) => api.reauthenticate(v.password ?? ""),
    onSuccess: (state) => finish(state, { to: "/account", flash: "Confirmed. Try your change again." }),
  });
  const code = useApiForm({
    fields: ["code"],
    mutationFn: (v: Record<string, string>) => api.mfaReauthenticate((v.code ?? "").trim()),
    onSuccess: (state) => finish(state, { to: "/account", flash: "Confirmed. Try your change again." }),
  });
  if (auth.status === "unauthenticated") {
    return (
      <Page title="Confirm it's you">
        <p>
          You are not signed in. <Link href="/account/login">Sign in</Link>
        </p>
      </Page>
    );
  }
  return (
    <Page title="Confirm it's you" lead="This change needs a recent sign-in. Confirm your identity to continue.">
      {byPassword && (
        <ApiForm onValues={password.submit} error={password.error} formErrors={password.formErrors} label="Confirm with your password">
          <Field label="Password" name="password" type="password" autoComplete="current-password" required errors={password.fieldErrors.password} />
          <div className="form-actions">
            <SubmitButton pending={password.pending} retryIn={password.retryIn}>
              Confirm
            </SubmitButton>
          </div>
        </ApiForm>
      )}
      {byCode && (
        <ApiForm onValues={code.submit} error={code.error} formErrors={code.formErrors} label="Confirm with a code">
          <Field label="Authenticator or recovery code" name="code" inputMode="numeric" autoComplete="one-time-code" required errors={code.fieldErrors.code} />
          <div className="form-actions">
            <SubmitButton pending={code.pending} retryIn={code.retryIn}>
              Confirm
            </SubmitButton>
          </div>
        </ApiForm>
      )}
    </Page>
  );
}

/** The recovery codes, with a download as a text file. */
function RecoveryCodeList({ codes }: { codes: RecoveryCodes }) {
  const href = `data:text/plain;charset=utf-8,${encodeURIComponent(codes.unused_codes.join("\n") + "\n")}`;
  return (
    <div>
      <p>
        Recovery codes: {codes.unused_code_count} of {codes.total_code_count} unused. Each works once, in place of a code from your app.
      </p>
      <ul aria-label="Recovery codes" className="codes">
        {codes.unused_codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <p>
        <a href={href} download="recovery-codes.txt">
          Download as a text file
        </a>
      </p>
    </div>
  );
}

/** `/account/2fa`: set up an authenticator app (a QR code drawn here), recovery codes, turn it off. */
export function TwoFactorPage() {
  const qc = useQueryClient();
  const cfgPasskeys = (useConfig().data?.mfa?.supported_types ?? []).includes("webauthn");
  const totp = useQuery({ queryKey: ["latch", "account", "totp"], queryFn: api.getTOTP, staleTime: Infinity });
  const [codes, setCodes] = useState<RecoveryCodes | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: ["latch", "account", "totp"] });
  const activate = useApiForm({
    fields: ["code"],
    mutationFn: async (v: Record<string, string>) => {
      await api.activateTOTP((v.code ?? "").trim());
      return api.getRecoveryCodes();
    },
    onSuccess: (rc) => {
      setCodes(rc);
      refresh();
    },
  });
  const show = useMutation({ mutationFn: api.getRecoveryCodes, onSuccess: setCodes });
  const regenerate = useMutation({ mutationFn: api.regenerateRecoveryCodes, onSuccess: setCodes });
  const off = useMutation({
    mutationFn: api.deactivateTOTP,
    onSuccess: () => {
      setCodes(null);
      refresh();
    },
  });
  if (totp.isPending) return <Loading />;
  if (totp.isError) return <ErrorPanel error={totp.error} />;
  const { active, setup } = totp.data;
  return (
    <Page title="Two-factor authentication">
      {active ? (
        <>
          <p>An authenticator app is set up: sign-in asks for its code after your password.</p>
          <div className="form-actions">
            <button type="button" className="button" disabled={show.isPending} onClick={() => show.mutate()}>
              Show recovery codes
            </button>
            <button type="button" className="button" disabled={regenerate.isPending} onClick={() => regenerate.mutate()}>
              New recovery codes
            </button>
            <button type="button" className="button danger" disabled={off.isPending} onClick={() => off.mutate()}>
              Turn off
            </button>
          </div>
          <FormErrors messages={[show.error, regenerate.error, off.error].filter(Boolean).map((e) => (e instanceof Error ? e.message : String(e)))} />
        </>
      ) : setup ? (
        <>
          <p>Scan this code with your authenticator app, or type the key in it, then enter the 6-digit code it shows.</p>
          <div className="qr">
            <QRCodeSVG value={setup.totp_url} size={192} title="QR code of the authenticator key" />
          </div>
          <p>
            Key: <code>{setup.secret}</code>
          </p>
          <ApiForm onValues={activate.submit} error={activate.error} formErrors={activate.formErrors} label="Activate the authenticator app">
            <Field label="Code" name="code" inputMode="numeric" autoComplete="one-time-code" required errors={activate.fieldErrors.code} />
            <div className="form-actions">
              <SubmitButton pending={activate.pending} retryIn={activate.retryIn}>
                Activate
              </SubmitButton>
            </div>
          </ApiForm>
        </>
      ) : null}
      {codes && <RecoveryCodeList codes={codes} />}
      {cfgPasskeys && <PasskeySection />}
    </Page>
  );
}

// The WebAuthn JSON helpers of the browser (Chromium 129+, Firefox 119+,
// Safari 18.4+), typed here as TypeScript's DOM library may lack them.
type JSONCredential = Credential & { toJSON(): unknown };
const PKC = globalThis.PublicKeyCredential as unknown as
  | {
      parseCreationOptionsFromJSON(o: unknown): PublicKeyCredentialCreationOptions;
      parseRequestOptionsFromJSON(o: unknown): PublicKeyCredentialRequestOptions;
    }
  | undefined;

/** Whether this browser can use passkeys with the JSON helpers. */
export function passkeysSupported(): boolean {
  return !!PKC && typeof PKC.parseCreationOptionsFromJSON === "function";
}

/** Creates a passkey for the signed-in user and adds it. */
export async function addPasskey(name: string): Promise<void> {
  if (!PKC) throw new Error("This browser does not support passkeys.");
  const { creation_options } = await api.webAuthnCreationOptions(true);
  const cred = (await navigator.credentials.create({ publicKey: PKC.parseCreationOptionsFromJSON(creation_options.publicKey) })) as JSONCredential | null;
  if (!cred) throw new Error("No passkey was created.");
  await api.addWebAuthn(name, cred.toJSON());
}

/** Signs in with a passkey; returns the new state. */
export async function signInWithPasskey(): Promise<AuthState> {
  if (!PKC) throw new Error("This browser does not support passkeys.");
  const { request_options } = await api.passkeyLoginOptions();
  const cred = (await navigator.credentials.get({ publicKey: PKC.parseRequestOptionsFromJSON(request_options.publicKey) })) as JSONCredential | null;
  if (!cred) throw new Error("No passkey was chosen.");
  return api.passkeyLogin(cred.toJSON());
}

/** The passkey section of the Two-factor page. */
export function PasskeySection() {
  const [done, setDone] = useState<string | null>(null);
  const add = useMutation({ mutationFn: () => addPasskey("Passkey"), onSuccess: () => setDone("Your passkey was added.") });
  if (!passkeysSupported()) return <p>This browser cannot create passkeys.</p>;
  return (
    <section aria-label="Passkeys">
      <h2>Passkeys</h2>
      <p>A passkey signs you in without a password, with your device's screen lock or a security key.</p>
      <div className="form-actions">
        <button type="button" className="button" disabled={add.isPending} onClick={() => add.mutate()}>
          Add a passkey
        </button>
      </div>
      {done && <p role="status">{done}</p>}
      <FormErrors messages={add.error ? [add.error instanceof Error ? add.error.message : String(add.error)] : []} />
    </section>
  );
}

/** "Sign in with a passkey", when the server offers passkey login. */
export function PasskeyButton({ onState }: { onState: (state: AuthState) => void }) {
  const cfg = useConfig().data;
  const login = useMutation({ mutationFn: signInWithPasskey, onSuccess: onState });
  if (!cfg?.mfa?.passkey_login_enabled || !passkeysSupported()) return null;
  return (
    <div className="alternatives">
      <button type="button" className="button" disabled={login.isPending} onClick={() => login.mutate()}>
        Sign in with a passkey
      </button>
      <FormErrors messages={login.error ? [login.error instanceof Error ? login.error.message : String(login.error)] : []} />
    </div>
  );
}
