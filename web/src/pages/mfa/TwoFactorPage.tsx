import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useLocation } from "wouter";
import { renderSVG } from "uqr";
import { ApiError, type RecoveryCodes } from "@latchauth/client";
import { api, keys, useConfig } from "../../app/latch";
import { ApiForm, CodeField, FormErrors, SubmitButton, useApiForm } from "../../components/forms";
import { ErrorPanel, Loading, Notice, Page, Time } from "../../components/ui";
import { SecurityKeysSection } from "../webauthn/SecurityKeysSection";

const PATH = "/account/2fa";

/** Whether an error asks for a fresh sign-in (a sensitive change on an old session). */
export function needsReauthentication(e: unknown): boolean {
  return e instanceof ApiError && e.status === 401 && e.auth?.status === "reauthentication_required";
}

/** An otpauth:// URI as a QR code image (an SVG data URL: the page's CSP allows data: images). */
export function qrDataUrl(uri: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(renderSVG(uri, { border: 2 }))}`;
}

/** Runs a sensitive call; a stale session goes to confirm who it is, then comes back here. */
function useSensitive() {
  const [, navigate] = useLocation();
  return <T,>(fn: () => Promise<T>) =>
    async (): Promise<T> => {
      try {
        return await fn();
      } catch (e) {
        if (needsReauthentication(e)) navigate(`/account/reauthenticate?next=${encodeURIComponent(PATH)}`);
        throw e;
      }
    };
}

function CodesList({ codes }: { codes: RecoveryCodes }) {
  return (
    <div className="card">
      <p>
        Keep these somewhere safe. Each works once, in place of a code from your app. {codes.unused_code_count} of{" "}
        {codes.total_code_count} unused.
      </p>
      <ul className="recovery-codes" aria-label="Recovery codes">
        {codes.unused_codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Setting up TOTP: the QR code and secret of a fresh key, then a code to prove the app has it. */
function TOTPSetup({ onDone }: { onDone: () => void }) {
  const sensitive = useSensitive();
  const setup = useQuery({ queryKey: [...keys.account, "totp-setup"], queryFn: sensitive(api.getTOTP), staleTime: Infinity, retry: false });
  const form = useApiForm({
    fields: ["code"],
    mutationFn: (v: Record<string, string>) => sensitive(() => api.activateTOTP((v.code ?? "").trim()))(),
    onSuccess: onDone,
  });
  const offer = setup.data && !setup.data.active ? setup.data : null;
  const qr = useMemo(() => (offer ? qrDataUrl(offer.totp_url) : null), [offer]);
  if (setup.isPending) return <Loading label="Making a key…" />;
  if (setup.isError) return <ErrorPanel error={setup.error} retry={() => void setup.refetch()} />;
  if (!offer) return null;
  return (
    <div className="card">
      <p>Scan this with your authenticator app (or type the key), then enter the 6-digit code it shows.</p>
      {qr ? <img className="qr" src={qr} alt="QR code of the authenticator key" width={200} height={200} /> : null}
      <p>
        Key: <code className="secret">{offer.secret}</code>
      </p>
      <ApiForm onValues={form.submit} error={form.error} formErrors={form.formErrors} label="Activate the authenticator app">
        <CodeField errors={form.fieldErrors.code} label="Code from the app" hint="6 digits; a new one every 30 seconds." />
        <div className="form-actions">
          <SubmitButton pending={form.pending} retryIn={form.retryIn}>
            Turn on
          </SubmitButton>
        </div>
      </ApiForm>
    </div>
  );
}

/** `/account/2fa`: the authenticator app (TOTP) and the recovery codes. */
export function TwoFactorPage() {
  const qc = useQueryClient();
  const sensitive = useSensitive();
  const list = useQuery({ queryKey: [...keys.account, "authenticators"], queryFn: api.listAuthenticators });
  const webAuthnOffered = (useConfig().data?.mfa?.supported_types ?? []).includes("webauthn");
  const [settingUp, setSettingUp] = useState(false);
  const [codes, setCodes] = useState<RecoveryCodes | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: keys.account });
  const off = useMutation({ mutationFn: sensitive(api.deactivateTOTP), onSuccess: refresh });
  const show = useMutation({ mutationFn: sensitive(api.getRecoveryCodes), onSuccess: setCodes });
  const regenerate = useMutation({ mutationFn: sensitive(api.regenerateRecoveryCodes), onSuccess: setCodes });

  if (list.isPending) {
    return (
      <Page title="Two-factor authentication">
        <Loading />
      </Page>
    );
  }
  if (list.isError) {
    return (
      <Page title="Two-factor authentication">
        <ErrorPanel error={list.error} retry={() => void list.refetch()} />
      </Page>
    );
  }
  const totp = list.data.find((a) => a.type === "totp");
  const recovery = list.data.find((a) => a.type === "recovery_codes");
  const webauthn = list.data.filter((a) => a.type === "webauthn");
  const errors = [off.error, show.error, regenerate.error]
    .filter((e) => e && !needsReauthentication(e))
    .map((e) => (e as Error).message);
  return (
    <Page title="Two-factor authentication" wide lead={webAuthnOffered ? "A second step at sign-in: a code from an app on your phone, or a security key." : "A second step at sign-in: a code from an app on your phone."}>
      <FormErrors messages={errors} />
      <section className="card" aria-labelledby="totp-heading">
        <h2 id="totp-heading">Authenticator app</h2>
        {totp ? (
          <>
            <p>
              On since <Time at={totp.created_at} />
              {totp.last_used_at ? (
                <>
                  , last used <Time at={totp.last_used_at} />
                </>
              ) : null}
              .
            </p>
            <button type="button" className="button danger" onClick={() => off.mutate()} disabled={off.isPending}>
              Turn off
            </button>
          </>
        ) : settingUp ? (
          <TOTPSetup
            onDone={() => {
              setSettingUp(false);
              refresh();
              show.mutate();
            }}
          />
        ) : (
          <button type="button" className="button primary" onClick={() => setSettingUp(true)}>
            Set up an authenticator app
          </button>
        )}
      </section>
      {webAuthnOffered ? <SecurityKeysSection list={webauthn} sensitive={sensitive} /> : null}
      {recovery ? (
        <section className="card" aria-labelledby="codes-heading">
          <h2 id="codes-heading">Recovery codes</h2>
          {codes ? <CodesList codes={codes} /> : null}
          {totp && codes === null ? (
            <Notice kind="info">
              <p>Recovery codes let you sign in without your phone.</p>
            </Notice>
          ) : null}
          <div className="form-actions">
            <button type="button" className="button" onClick={() => show.mutate()} disabled={show.isPending}>
              Show codes
            </button>
            <button type="button" className="button" onClick={() => regenerate.mutate()} disabled={regenerate.isPending}>
              Make new codes
            </button>
          </div>
        </section>
      ) : null}
    </Page>
  );
}
