// Wire types of the headless API (/_allauth/{browser,app}/v1), as Latch
// serves it (httpapi/openapi.yaml) and django-allauth defines it. Keys the
// server omits when empty are optional here. The types that name a schema
// of the document are taken from src/openapi.ts (generated from it by
// `npm run generate`); the others are written here to accept what newer
// servers may add, and src/contract.ts proves at compile time that every
// response the document describes fits them.

import type { components } from "./openapi.js";

type Schemas = components["schemas"];

/** The account. `id` is the user's public UUID. */
export interface User {
  id: string;
  /** The username, else the primary email address, else "user". */
  display: string;
  /** The primary email address; absent when the user has none. */
  email?: string;
  username?: string;
  has_usable_password: boolean;
}

/** One authentication step of the session, oldest first. */
export interface AuthenticationMethod {
  method: "password" | "code" | "password_reset" | "socialaccount" | (string & {});
  /** Seconds since the Unix epoch. */
  at: number;
  email?: string;
  username?: string;
  reauthenticated?: boolean;
  /** socialaccount: the provider id and the identity's uid. */
  provider?: string;
  uid?: string;
}

/**
 * Flow ids in allauth's order. Latch sends the first five today; the rest
 * (social login, MFA, phone, reauthentication) are allauth's and arrive
 * when Latch implements them.
 */
export type KnownFlowId =
  | "login"
  | "login_by_code"
  | "signup"
  | "verify_email"
  | "password_reset_by_code"
  | "provider_redirect"
  | "provider_token"
  | "provider_signup"
  | "mfa_login_webauthn"
  | "verify_phone"
  | "mfa_authenticate"
  | "mfa_trust"
  | "mfa_signup_webauthn"
  | "reauthenticate"
  | "mfa_reauthenticate";

/** A way to authenticate the caller can take next (`data.flows[]`). */
export interface Flow {
  id: KnownFlowId | (string & {});
  /** True on the stage a login (or a reset by code) waits at. */
  is_pending?: boolean;
  /** mfa_authenticate / mfa_reauthenticate: the user's authenticator types. */
  types?: string[];
  /** provider_redirect / provider_token: provider ids. */
  providers?: string[];
  /** provider_signup: the provider of the pending signup. */
  provider?: Provider;
}

export interface EmailAddress {
  email: string;
  verified: boolean;
  primary: boolean;
}

/** One of the user's sessions (devices). */
export interface UserSession {
  id: number;
  user_agent: string;
  ip: string;
  /** Seconds since the Unix epoch. */
  created_at: number;
  /** Seconds since the Unix epoch; always present in Latch. */
  last_seen_at?: number;
  is_current: boolean;
}

export interface AccountConfiguration {
  login_methods: Array<"email" | "username" | (string & {})>;
  is_open_for_signup: boolean;
  email_verification_by_code_enabled: boolean;
  login_by_code_enabled: boolean;
  password_reset_by_code_enabled: boolean;
  authentication_method?: "email" | "username" | "username_email";
  /** Latch extension: the identity fields a signup asks for; absent: not asked. */
  signup_fields?: { email?: { required: boolean }; username?: { required: boolean } };
}

/** Latch's part of `/config` (`data.latch`): branding, switches and the lifetimes copy names. */
export type LatchConfiguration = Schemas["LatchConfiguration"];
/** Lifetimes in seconds of codes, links and sessions. */
export type Lifetimes = LatchConfiguration["lifetimes"];

/** `GET /config`. `socialaccount`, `mfa` and `latch` appear when the server offers them. */
export interface Configuration {
  account: AccountConfiguration;
  usersessions?: { track_activity: boolean };
  socialaccount?: { providers: Provider[] };
  mfa?: { supported_types: string[]; passkey_login_enabled?: boolean };
  latch?: LatchConfiguration;
}

/** The account's names (`/account/profile`, a Latch endpoint). */
export interface Profile {
  username: string;
  first_name: string;
  last_name: string;
}

/** A change of any of the profile's fields. */
export type ProfileInput = Partial<Profile>;

/** A second factor of the account (`/account/authenticators`). */
export type Authenticator = Schemas["TOTPAuthenticator"] | Schemas["RecoveryCodesAuthenticator"] | WebAuthnAuthenticator;

/** A security key or passkey (`/account/authenticators/webauthn`). */
export type WebAuthnAuthenticator = Schemas["WebAuthnAuthenticator"];

/**
 * Options for `navigator.credentials.create()` / `.get()` in their JSON
 * form, for `PublicKeyCredential.parseCreationOptionsFromJSON()` /
 * `parseRequestOptionsFromJSON()`.
 */
export interface WebAuthnCreationOptions {
  creation_options: { publicKey: Record<string, unknown> };
}
export interface WebAuthnRequestOptions {
  request_options: { publicKey: Record<string, unknown> };
}

/** `GET /account/authenticators/totp`: the active TOTP, or a secret to set one up. */
export type TOTPSetup =
  | { active: true; authenticator: Authenticator }
  | { active: false; secret: string; totp_url: string };

/** The recovery codes still unused, and how many there were. */
export type RecoveryCodes = Schemas["RecoveryCodesResponse"]["data"];
/** A configured login provider (allauth's provider object). */
export interface Provider {
  id: string;
  name: string;
  flows: Array<"provider_redirect" | "provider_token" | (string & {})>;
  client_id?: string;
  openid_configuration_url?: string;
}

/** An identity at a provider connected to the user. */
export interface ProviderAccount {
  uid: string;
  display: string;
  provider: Provider;
}

/** `GET /auth/provider/signup`: the identity waiting for its account's details. */
export interface ProviderSignupInfo {
  email: EmailAddress[];
  account: ProviderAccount;
  user: { display: string; has_usable_password: boolean };
}

/** One entry of the error envelope. `param` is absent for form-level errors. */
export interface ErrorEntry {
  message: string;
  code: string;
  param?: string;
}

/** Every response body: `{status, data?, meta?, errors?}`. */
export interface Envelope {
  status: number;
  data?: unknown;
  meta?: { is_authenticated?: boolean | null; is_authenticating?: boolean; [key: string]: unknown };
  errors?: ErrorEntry[];
}

/**
 * What an authentication-bearing response says about the caller:
 * logged in (200), not logged in with the flows to take next (401), or
 * logged in but asked to reauthenticate for a sensitive action (401 with
 * `meta.is_authenticated: true`; allauth's, not sent by Latch yet).
 */
export type AuthState =
  | { status: "authenticated"; user: User; methods: AuthenticationMethod[] }
  | { status: "unauthenticated"; flows: Flow[] }
  | { status: "reauthentication_required"; user: User; methods: AuthenticationMethod[]; flows: Flow[] };

export interface EmailVerificationInfo {
  email: string;
  user: User;
  /** A login waits for this verification; verifying continues it. */
  isAuthenticating: boolean;
}

export interface PasswordResetInfo {
  user: User;
}

export interface AccessToken {
  access_token: string;
  expires_at: number;
  expires_in: number;
}

// ---- request bodies ----------------------------------------------------

/** A password and exactly one identifier. */
export type LoginInput = { password: string } & ({ email: string; username?: never } | { username: string; email?: never });

export interface SignupInput {
  /** Optional only where the server's `signup_fields` says so. */
  email?: string;
  /** Optional unless `username` is the only login method. */
  username?: string;
  password: string;
}

export interface ResetPasswordInput {
  /** The key of the link, or the mailed code. */
  key: string;
  password: string;
}

export interface ChangePasswordInput {
  /** Required when the account has a usable password. */
  current_password?: string;
  new_password: string;
}
