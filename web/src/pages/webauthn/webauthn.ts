// The browser's side of WebAuthn: options from Latch in their JSON form go
// through PublicKeyCredential's JSON helpers (Chromium 129+, Firefox 119+,
// Safari 18.4+) to navigator.credentials, and the credential goes back to
// Latch as its toJSON().

/** The JSON helpers, typed here as TypeScript's DOM library may lack them. */
interface JSONHelpers {
  parseCreationOptionsFromJSON(o: unknown): PublicKeyCredentialCreationOptions;
  parseRequestOptionsFromJSON(o: unknown): PublicKeyCredentialRequestOptions;
}

type JSONCredential = Credential & { toJSON(): unknown };

function helpers(): JSONHelpers | null {
  const pkc = (globalThis as { PublicKeyCredential?: Partial<JSONHelpers> }).PublicKeyCredential;
  if (!pkc || typeof pkc.parseCreationOptionsFromJSON !== "function" || typeof pkc.parseRequestOptionsFromJSON !== "function") {
    return null;
  }
  return pkc as JSONHelpers;
}

/** Whether this browser can use security keys and passkeys here. */
export function webAuthnSupported(): boolean {
  return helpers() !== null && typeof navigator !== "undefined" && !!navigator.credentials;
}

const UNSUPPORTED = "This browser cannot use security keys or passkeys.";

/** Makes a credential for creation options (`creation_options.publicKey`); resolves with its JSON form. */
export async function createCredential(publicKey: unknown): Promise<unknown> {
  const h = helpers();
  if (!h) throw new Error(UNSUPPORTED);
  const cred = (await navigator.credentials.create({ publicKey: h.parseCreationOptionsFromJSON(publicKey) })) as JSONCredential | null;
  if (!cred) throw new Error("No security key or passkey was made.");
  return cred.toJSON();
}

/** Asks for an assertion for request options (`request_options.publicKey`); resolves with its JSON form. */
export async function getAssertion(publicKey: unknown): Promise<unknown> {
  const h = helpers();
  if (!h) throw new Error(UNSUPPORTED);
  const cred = (await navigator.credentials.get({ publicKey: h.parseRequestOptionsFromJSON(publicKey) })) as JSONCredential | null;
  if (!cred) throw new Error("No security key or passkey was used.");
  return cred.toJSON();
}

/**
 * The message for a failed WebAuthn step. The browser refuses with a
 * DOMException whose own message is technical; the common ones get words.
 */
export function webAuthnMessage(e: unknown): string {
  const name = e instanceof Error || e instanceof DOMException ? e.name : "";
  if (name === "NotAllowedError") return "The security key or passkey was not used (cancelled, or it timed out). Try again.";
  if (name === "InvalidStateError") return "This security key or passkey is already registered.";
  if (name === "SecurityError") return "This page's address cannot use security keys or passkeys.";
  return e instanceof Error ? e.message : String(e);
}
