import { useMutation } from "@tanstack/react-query";
import type { AuthState } from "@latchauth/client";
import { api, useConfig } from "../../app/latch";
import { FormErrors } from "../../components/forms";
import { getAssertion, webAuthnMessage, webAuthnSupported } from "./webauthn";

/** Signs in with a passkey (no password, no second factor); resolves with the new state. */
export async function signInWithPasskey(): Promise<AuthState> {
  const { request_options } = await api.getPasskeyLoginOptions();
  return api.passkeyLogin(await getAssertion(request_options.publicKey));
}

/** Passes the pending second-factor step with one of the user's security keys or passkeys. */
export async function authenticateWithSecurityKey(): Promise<AuthState> {
  const { request_options } = await api.getWebAuthnAuthenticateOptions();
  return api.webAuthnAuthenticate(await getAssertion(request_options.publicKey));
}

function WebAuthnButton({ label, run, onState }: { label: string; run: () => Promise<AuthState>; onState: (state: AuthState) => void }) {
  const m = useMutation({ mutationFn: run, onSuccess: onState });
  return (
    <div className="alternatives">
      <FormErrors messages={m.error ? [webAuthnMessage(m.error)] : []} />
      <button type="button" className="button" disabled={m.isPending} aria-busy={m.isPending || undefined} onClick={() => m.mutate()}>
        {m.isPending ? "Waiting for your key…" : label}
      </button>
    </div>
  );
}

/** "Sign in with a passkey" on the sign-in page, when the server offers passkey login and the browser can. */
export function PasskeyLoginButton({ onState }: { onState: (state: AuthState) => void }) {
  const cfg = useConfig().data;
  if (!cfg?.mfa?.passkey_login_enabled || !webAuthnSupported()) return null;
  return <WebAuthnButton label="Sign in with a passkey" run={signInWithPasskey} onState={onState} />;
}

/** "Use a security key" at the second-factor step, when the user has one (`types` of the flow) and the browser can. */
export function SecurityKeyButton({ types, onState }: { types: readonly string[]; onState: (state: AuthState) => void }) {
  if (!types.includes("webauthn") || !webAuthnSupported()) return null;
  return <WebAuthnButton label="Use a security key or passkey" run={authenticateWithSecurityKey} onState={onState} />;
}
