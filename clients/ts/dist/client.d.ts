import { ApiError } from "./errors.js";
import { type TokenStore } from "./tokens.js";
import type { AccessToken, Authenticator, AuthState, ChangePasswordInput, Configuration, EmailAddress, EmailVerificationInfo, Envelope, LoginInput, PasswordResetInfo, Profile, ProfileInput, ProviderAccount, ProviderSignupInfo, ResetPasswordInput, TOTPSetup, SignupInput, UserSession, WebAuthnCreationOptions, WebAuthnRequestOptions } from "./types.js";
/** Where the browser client's endpoints live, below the base URL. */
export declare const BROWSER_API_PREFIX = "/_allauth/browser/v1";
/** Where the app client's endpoints live, below the base URL. */
export declare const APP_API_PREFIX = "/_allauth/app/v1";
export declare const SESSION_TOKEN_HEADER = "X-Session-Token";
export declare const CSRF_COOKIE = "csrftoken";
export declare const CSRF_HEADER = "X-CSRFToken";
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export interface LatchClientOptions {
    /**
     * `browser` (default): the browser tree, with cookies and the CSRF
     * header — for a page on Latch's site. `app`: the app tree, with the
     * session token (and, under the JWT strategy, access and refresh tokens)
     * kept in `tokens` — for mobile apps, CLIs and pages on other sites.
     */
    kind?: "browser" | "app" | undefined;
    /** app: where the tokens live (default: in memory). */
    tokens?: TokenStore | undefined;
    /**
     * app: refresh the access token this many seconds before it expires
     * (default 30).
     */
    refreshLeeway?: number | undefined;
    /** app: the clock in milliseconds, for access token expiry (default Date.now). */
    now?: (() => number) | undefined;
    /**
     * Latch's URL, e.g. "https://auth.example.com" (a path prefix is kept).
     * Empty or absent: the page's own origin (relative URLs).
     */
    baseUrl?: string | undefined;
    /** The fetch to use; defaults to the global one. */
    fetch?: typeof globalThis.fetch | undefined;
    /** Reads a cookie by name; defaults to parsing document.cookie. */
    getCookie?: ((name: string) => string | null | undefined) | undefined;
    /** Called with the caller's state whenever a response carries it. */
    onAuth?: ((state: AuthState) => void) | undefined;
}
export interface RawResponse {
    status: number;
    body: Envelope;
    headers: Headers;
}
/** Joins a base URL and an absolute path with exactly one slash between. */
export declare function joinUrl(base: string | undefined, path: string): string;
/** Finds a cookie's value in a `document.cookie`-style string. */
export declare function readCookie(cookies: string, name: string): string | null;
/**
 * Reads what a response says about the caller: 200 with a user (logged
 * in), or 401/410 with flows (not logged in, or asked to reauthenticate).
 * Returns null for responses that say nothing about it.
 */
export declare function toAuthState(body: Envelope | null | undefined): AuthState | null;
/** Builds the ApiError for a response that is not what the endpoint promises. */
export declare function errorFromResponse(res: RawResponse): ApiError;
export type LatchClient = ReturnType<typeof createLatchClient>;
/** A client of the browser tree (cookies, CSRF). */
export declare function createBrowserClient(options?: Omit<LatchClientOptions, "kind" | "tokens" | "refreshLeeway" | "now">): LatchClient;
/** A client of the app tree (session token, JWT access and refresh tokens). */
export declare function createAppClient(options?: Omit<LatchClientOptions, "kind" | "getCookie">): LatchClient;
/**
 * Creates a client. Every request sends cookies (`credentials: "include"`),
 * and every POST/PUT/PATCH/DELETE sends the `csrftoken` cookie's current
 * value in `X-CSRFToken` (read anew each time: it changes at login).
 *
 * Endpoints that can end in a login answer an AuthState (a 401 with flows
 * is an outcome, not an error); others resolve with their data. Anything
 * else rejects with an ApiError.
 */
export declare function createLatchClient(options?: LatchClientOptions): {
    baseUrl: string;
    kind: "browser" | "app";
    request: (method: HttpMethod, path: string, init?: {
        body?: unknown;
        headers?: Record<string, string>;
    }) => Promise<RawResponse>;
    /** app: the token store (null for the browser client). */
    tokens: TokenStore | null;
    /** The account features the server offers (not user dependent). */
    getConfig: () => Promise<Configuration>;
    /** Who is logged in, or which flows can be taken / are pending. */
    getSession: () => Promise<AuthState>;
    /** Logs out (always ends in "unauthenticated"). */
    logout: () => Promise<AuthState>;
    login: (input: LoginInput) => Promise<AuthState>;
    signup: (input: SignupInput) => Promise<AuthState>;
    /** What a verification key (or code) would verify, without verifying. */
    getEmailVerification: (key: string) => Promise<EmailVerificationInfo>;
    /**
     * Verifies with a link's key or a mailed code. A 401 here is success
     * too: the address is verified, the caller is just not logged in.
     */
    verifyEmail: (key: string) => Promise<AuthState>;
    /** Code mode: mails a new code for the verification in progress. */
    resendEmailVerificationCode: () => Promise<void>;
    /**
     * Starts a reset. Link mode: resolves undefined (a link was mailed if
     * the address has an account). Code mode: the AuthState, with
     * `password_reset_by_code` pending.
     */
    requestPasswordReset: (email: string) => Promise<AuthState | undefined>;
    /** Whose password a link's key (or, in code mode, the code) resets. */
    getPasswordReset: (key: string) => Promise<PasswordResetInfo>;
    /**
     * Sets the new password. Success is usually a 401 (reset, not logged
     * in); 200 when the server logs in after a reset.
     */
    resetPassword: (input: ResetPasswordInput) => Promise<AuthState>;
    requestLoginCode: (email: string) => Promise<AuthState>;
    confirmLoginCode: (code: string) => Promise<AuthState>;
    resendLoginCode: () => Promise<void>;
    /** Passes the mfa_authenticate stage with a TOTP or recovery code. */
    mfaAuthenticate: (code: string) => Promise<AuthState>;
    /** Answers the mfa_trust stage (browser only). */
    mfaTrust: (trust: boolean) => Promise<AuthState>;
    /** Renews a login with the password (the reauthenticate flow). */
    reauthenticate: (password: string) => Promise<AuthState>;
    /** Renews a login with a TOTP or recovery code (mfa_reauthenticate). */
    mfaReauthenticate: (code: string) => Promise<AuthState>;
    changePassword: (input: ChangePasswordInput) => Promise<AuthState>;
    listEmailAddresses: () => Promise<EmailAddress[]>;
    addEmailAddress: (email: string) => Promise<EmailAddress[]>;
    /** Mails a new verification; rejects with a 403 ApiError when none was sent. */
    requestEmailVerification: (email: string) => Promise<void>;
    markPrimaryEmailAddress: (email: string) => Promise<EmailAddress[]>;
    removeEmailAddress: (email: string) => Promise<EmailAddress[]>;
    listSessions: () => Promise<UserSession[]>;
    /**
     * Ends sessions: the remaining ones, or — when the caller's own was
     * among them — the (unauthenticated) AuthState.
     */
    endSessions: (ids: readonly number[]) => Promise<UserSession[] | AuthState>;
    /** browser: a short-lived JWT for calling other services. */
    getAccessToken: () => Promise<AccessToken>;
    getProfile: () => Promise<Profile>;
    /** Changes any of username, first and last name; 400s map to fields. */
    updateProfile: (input: ProfileInput) => Promise<Profile>;
    /**
     * Deletes the account. Resolves with the (unauthenticated) AuthState
     * once it is gone; a session that did not authenticate recently gets
     * `reauthentication_required` instead — reauthenticate, then call again.
     */
    deleteAccount: () => Promise<AuthState>;
    listAuthenticators: () => Promise<Authenticator[]>;
    /** TOTP: the active one, or (404) a secret to set one up. */
    getTOTP: () => Promise<TOTPSetup>;
    activateTOTP: (code: string) => Promise<Authenticator>;
    deactivateTOTP: () => Promise<void>;
    getRecoveryCodes: () => Promise<{
        type: "recovery_codes";
        created_at: import("./openapi.js").components["schemas"]["Timestamp"];
        last_used_at: import("./openapi.js").components["schemas"]["OptionalTimestamp"];
        total_code_count: number;
        unused_code_count: number;
        unused_codes: string[];
    }>;
    /** Replaces the recovery codes; resolves with the new ones. */
    regenerateRecoveryCodes: () => Promise<{
        type: "recovery_codes";
        created_at: import("./openapi.js").components["schemas"]["Timestamp"];
        last_used_at: import("./openapi.js").components["schemas"]["OptionalTimestamp"];
        total_code_count: number;
        unused_code_count: number;
        unused_codes: string[];
    }>;
    /** Creation options for a security key, or (`passwordless`) a passkey that can sign in alone. */
    getWebAuthnCreationOptions: (passwordless: boolean) => Promise<WebAuthnCreationOptions>;
    /** Adds the credential `navigator.credentials.create()` made (its `toJSON()`). */
    addWebAuthn: (name: string, credential: unknown) => Promise<{
        type: "webauthn";
        id: number;
        name: string;
        is_passwordless: boolean;
        created_at: import("./openapi.js").components["schemas"]["Timestamp"];
        last_used_at: import("./openapi.js").components["schemas"]["OptionalTimestamp"];
    }>;
    renameWebAuthn: (id: number, name: string) => Promise<{
        type: "webauthn";
        id: number;
        name: string;
        is_passwordless: boolean;
        created_at: import("./openapi.js").components["schemas"]["Timestamp"];
        last_used_at: import("./openapi.js").components["schemas"]["OptionalTimestamp"];
    }>;
    deleteWebAuthn: (ids: number[]) => Promise<void>;
    /** Request options to pass `mfa_authenticate` with a security key. */
    getWebAuthnAuthenticateOptions: () => Promise<WebAuthnRequestOptions>;
    /** Passes `mfa_authenticate` with an assertion (its `toJSON()`). */
    webAuthnAuthenticate: (credential: unknown) => Promise<AuthState>;
    /** Request options for a passkey login (when `passkey_login_enabled`). */
    getPasskeyLoginOptions: () => Promise<WebAuthnRequestOptions>;
    /** Logs in with a passkey's assertion (its `toJSON()`). */
    passkeyLogin: (credential: unknown) => Promise<AuthState>;
    /** The identities connected to the user. */
    listProviderAccounts: () => Promise<ProviderAccount[]>;
    /** Disconnects one; refused (400) with no_password when it is the last way in. */
    disconnectProviderAccount: (provider: string, account: string) => Promise<ProviderAccount[]>;
    /** The pending provider signup (409 when none). */
    getProviderSignup: () => Promise<ProviderSignupInfo>;
    /** Finishes the pending provider signup with the account's details. */
    providerSignup: (input: {
        email?: string;
        username?: string;
    }) => Promise<AuthState>;
};
