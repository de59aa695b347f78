// A typed client for Latch's (django-allauth's) headless API: the browser
// tree (cookies and CSRF) and the app tree (session tokens, JWTs). It
// depends on nothing but fetch.
import { ApiError, parseRetryAfter } from "./errors.js";
import { createTokenAuth } from "./tokens.js";
/** Where the browser client's endpoints live, below the base URL. */
export const BROWSER_API_PREFIX = "/_allauth/browser/v1";
/** Where the app client's endpoints live, below the base URL. */
export const APP_API_PREFIX = "/_allauth/app/v1";
export const SESSION_TOKEN_HEADER = "X-Session-Token";
export const CSRF_COOKIE = "csrftoken";
export const CSRF_HEADER = "X-CSRFToken";
const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Joins a base URL and an absolute path with exactly one slash between. */
export function joinUrl(base, path) {
    const b = (base ?? "").trim().replace(/\/+$/, "");
    const p = path.startsWith("/") ? path : `/${path}`;
    return b + p;
}
/** Finds a cookie's value in a `document.cookie`-style string. */
export function readCookie(cookies, name) {
    for (const part of cookies.split(";")) {
        const eq = part.indexOf("=");
        if (eq < 0)
            continue;
        if (part.slice(0, eq).trim() !== name)
            continue;
        const raw = part.slice(eq + 1).trim();
        try {
            return decodeURIComponent(raw);
        }
        catch {
            return raw;
        }
    }
    return null;
}
function documentCookie(name) {
    return typeof document === "undefined" ? null : readCookie(document.cookie, name);
}
function isObject(v) {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}
/**
 * Reads what a response says about the caller: 200 with a user (logged
 * in), or 401/410 with flows (not logged in, or asked to reauthenticate).
 * Returns null for responses that say nothing about it.
 */
export function toAuthState(body) {
    if (!body || !isObject(body.data))
        return null;
    const data = body.data;
    const authenticated = body.meta?.is_authenticated === true;
    if (body.status === 200 && authenticated && isObject(data.user)) {
        return {
            status: "authenticated",
            user: data.user,
            methods: Array.isArray(data.methods) ? data.methods : [],
        };
    }
    if ((body.status === 401 || body.status === 410) && Array.isArray(data.flows)) {
        const flows = data.flows;
        if (authenticated && isObject(data.user)) {
            return {
                status: "reauthentication_required",
                user: data.user,
                methods: Array.isArray(data.methods) ? data.methods : [],
                flows,
            };
        }
        return { status: "unauthenticated", flows };
    }
    return null;
}
/** Builds the ApiError for a response that is not what the endpoint promises. */
export function errorFromResponse(res) {
    return new ApiError({
        status: res.status,
        errors: Array.isArray(res.body.errors) ? res.body.errors : [],
        retryAfter: parseRetryAfter(res.headers.get("Retry-After")),
        auth: res.status === 401 || res.status === 410 ? toAuthState(res.body) : null,
    });
}
/** A client of the browser tree (cookies, CSRF). */
export function createBrowserClient(options = {}) {
    return createLatchClient({ ...options, kind: "browser" });
}
/** A client of the app tree (session token, JWT access and refresh tokens). */
export function createAppClient(options = {}) {
    return createLatchClient({ ...options, kind: "app" });
}
/**
 * Creates a client. Every request sends cookies (`credentials: "include"`),
 * and every POST/PUT/PATCH/DELETE sends the `csrftoken` cookie's current
 * value in `X-CSRFToken` (read anew each time: it changes at login).
 *
 * Endpoints that can end in a login answer an AuthState (a 401 with flows
 * is an outcome, not an error); others resolve with their data. Anything
 * else rejects with an ApiError.
 */
export function createLatchClient(options = {}) {
    const baseUrl = options.baseUrl ?? "";
    const kind = options.kind ?? "browser";
    const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const getCookie = options.getCookie ?? documentCookie;
    const onAuth = options.onAuth;
    const prefix = kind === "app" ? APP_API_PREFIX : BROWSER_API_PREFIX;
    /** Sends one request to a full path and reads its JSON envelope (any status). */
    async function send(method, url, init) {
        const headers = new Headers({ Accept: "application/json" });
        if (init.body !== undefined)
            headers.set("Content-Type", "application/json");
        if (kind === "browser" && UNSAFE_METHODS.has(method)) {
            const token = getCookie(CSRF_COOKIE);
            if (token)
                headers.set(CSRF_HEADER, token);
        }
        for (const [k, v] of Object.entries(init.headers ?? {}))
            headers.set(k, v);
        let res;
        try {
            res = await fetchImpl(joinUrl(baseUrl, url), {
                method,
                headers,
                body: init.body === undefined ? null : JSON.stringify(init.body),
                credentials: kind === "browser" ? "include" : "omit",
                cache: "no-store",
            });
        }
        catch (cause) {
            throw new ApiError({ status: 0, cause });
        }
        let body = { status: res.status };
        const text = await res.text().catch(() => "");
        if (text) {
            try {
                const parsed = JSON.parse(text);
                if (isObject(parsed))
                    body = { ...parsed, status: res.status };
            }
            catch {
                // Not JSON (a proxy's error page): keep the bare status.
            }
        }
        return { status: res.status, body, headers: res.headers };
    }
    const tokens = kind === "app"
        ? createTokenAuth({
            store: options.tokens,
            leeway: options.refreshLeeway,
            now: options.now,
            refresh: (refreshToken, headers) => send("POST", APP_API_PREFIX + "/tokens/refresh", { body: { refresh_token: refreshToken }, headers }),
        })
        : null;
    /** Sends one request to an endpoint of the client's tree and reads its envelope. */
    async function request(method, path, init = {}) {
        let out;
        if (tokens) {
            out = await tokens.around((auth) => send(method, prefix + path, { ...init, headers: { ...auth, ...init.headers } }));
        }
        else {
            out = await send(method, prefix + path, init);
        }
        const { status, body } = out;
        if (onAuth && (status === 401 || status === 410 || (status === 200 && body.meta?.is_authenticated === true))) {
            const state = toAuthState(body);
            if (state)
                onAuth(state);
        }
        return out;
    }
    /** An AuthState from a 200, a 401 or (a token that is gone) a 410, else an ApiError. */
    async function auth(p) {
        const res = await p;
        const state = res.status === 200 || res.status === 401 || res.status === 410 ? toAuthState(res.body) : null;
        if (state)
            return state;
        throw errorFromResponse(res);
    }
    /** `data` of a 200, else an ApiError. */
    async function data(p) {
        const res = await p;
        if (res.status === 200)
            return res.body.data;
        throw errorFromResponse(res);
    }
    /** Nothing but success (`{"status": 200}`), else an ApiError. */
    async function ok(p) {
        const res = await p;
        if (res.status !== 200)
            throw errorFromResponse(res);
    }
    return {
        baseUrl,
        kind,
        request,
        /** app: the token store (null for the browser client). */
        tokens: tokens?.store ?? null,
        // ---- configuration and session -----------------------------------
        /** The account features the server offers (not user dependent). */
        getConfig: () => data(request("GET", "/config")),
        /** Who is logged in, or which flows can be taken / are pending. */
        getSession: () => auth(request("GET", "/auth/session")),
        /** Logs out (always ends in "unauthenticated"). */
        logout: () => auth(request("DELETE", "/auth/session")),
        // ---- login, signup, verification ---------------------------------
        login: (input) => auth(request("POST", "/auth/login", { body: input })),
        signup: (input) => auth(request("POST", "/auth/signup", { body: input })),
        /** What a verification key (or code) would verify, without verifying. */
        getEmailVerification: async (key) => {
            const res = await request("GET", "/auth/email/verify", { headers: { "X-Email-Verification-Key": key } });
            if (res.status !== 200)
                throw errorFromResponse(res);
            const d = res.body.data;
            return { email: d.email, user: d.user, isAuthenticating: res.body.meta?.is_authenticating === true };
        },
        /**
         * Verifies with a link's key or a mailed code. A 401 here is success
         * too: the address is verified, the caller is just not logged in.
         */
        verifyEmail: (key) => auth(request("POST", "/auth/email/verify", { body: { key } })),
        /** Code mode: mails a new code for the verification in progress. */
        resendEmailVerificationCode: () => ok(request("POST", "/auth/email/verify/resend")),
        // ---- password reset ------------------------------------------------
        /**
         * Starts a reset. Link mode: resolves undefined (a link was mailed if
         * the address has an account). Code mode: the AuthState, with
         * `password_reset_by_code` pending.
         */
        requestPasswordReset: async (email) => {
            const res = await request("POST", "/auth/password/request", { body: { email } });
            if (res.status === 200 && res.body.data === undefined)
                return undefined;
            const state = res.status === 200 || res.status === 401 ? toAuthState(res.body) : null;
            if (state)
                return state;
            throw errorFromResponse(res);
        },
        /** Whose password a link's key (or, in code mode, the code) resets. */
        getPasswordReset: async (key) => data(request("GET", "/auth/password/reset", { headers: { "X-Password-Reset-Key": key } })),
        /**
         * Sets the new password. Success is usually a 401 (reset, not logged
         * in); 200 when the server logs in after a reset.
         */
        resetPassword: (input) => auth(request("POST", "/auth/password/reset", { body: input })),
        // ---- login by code -------------------------------------------------
        requestLoginCode: (email) => auth(request("POST", "/auth/code/request", { body: { email } })),
        confirmLoginCode: (code) => auth(request("POST", "/auth/code/confirm", { body: { code } })),
        resendLoginCode: () => ok(request("POST", "/auth/code/resend")),
        // ---- second factor and reauthentication ----------------------------
        /** Passes the mfa_authenticate stage with a TOTP or recovery code. */
        mfaAuthenticate: (code) => auth(request("POST", "/auth/2fa/authenticate", { body: { code } })),
        /** Answers the mfa_trust stage (browser only). */
        mfaTrust: (trust) => auth(request("POST", "/auth/2fa/trust", { body: { trust } })),
        /** Renews a login with the password (the reauthenticate flow). */
        reauthenticate: (password) => auth(request("POST", "/auth/reauthenticate", { body: { password } })),
        /** Renews a login with a TOTP or recovery code (mfa_reauthenticate). */
        mfaReauthenticate: (code) => auth(request("POST", "/auth/2fa/reauthenticate", { body: { code } })),
        // ---- the logged-in account -----------------------------------------
        changePassword: (input) => auth(request("POST", "/account/password/change", { body: input })),
        listEmailAddresses: () => data(request("GET", "/account/email")),
        addEmailAddress: (email) => data(request("POST", "/account/email", { body: { email } })),
        /** Mails a new verification; rejects with a 403 ApiError when none was sent. */
        requestEmailVerification: (email) => ok(request("PUT", "/account/email", { body: { email } })),
        markPrimaryEmailAddress: (email) => data(request("PATCH", "/account/email", { body: { email, primary: true } })),
        removeEmailAddress: (email) => data(request("DELETE", "/account/email", { body: { email } })),
        listSessions: () => data(request("GET", "/auth/sessions")),
        /**
         * Ends sessions: the remaining ones, or — when the caller's own was
         * among them — the (unauthenticated) AuthState.
         */
        endSessions: async (ids) => {
            const res = await request("DELETE", "/auth/sessions", { body: { sessions: ids } });
            if (res.status === 200)
                return res.body.data;
            const state = res.status === 401 ? toAuthState(res.body) : null;
            if (state)
                return state;
            throw errorFromResponse(res);
        },
        /** browser: a short-lived JWT for calling other services. */
        getAccessToken: () => data(request("POST", "/tokens/access")),
        // ---- profile and account deletion (Latch) --------------------------
        getProfile: () => data(request("GET", "/account/profile")),
        /** Changes any of username, first and last name; 400s map to fields. */
        updateProfile: (input) => data(request("PATCH", "/account/profile", { body: input })),
        /**
         * Deletes the account. Resolves with the (unauthenticated) AuthState
         * once it is gone; a session that did not authenticate recently gets
         * `reauthentication_required` instead — reauthenticate, then call again.
         */
        deleteAccount: () => auth(request("DELETE", "/account")),
        // ---- second factors (the account's authenticators) ------------------
        listAuthenticators: () => data(request("GET", "/account/authenticators")),
        /** TOTP: the active one, or (404) a secret to set one up. */
        getTOTP: async () => {
            const res = await request("GET", "/account/authenticators/totp");
            if (res.status === 200 || res.status === 404) {
                const meta = (res.body.meta ?? {});
                if (res.status === 404 && meta.secret)
                    return { active: false, secret: meta.secret, totp_url: meta.totp_url ?? "" };
                if (res.status === 200)
                    return { active: true, authenticator: res.body.data };
            }
            throw errorFromResponse(res);
        },
        activateTOTP: (code) => data(request("POST", "/account/authenticators/totp", { body: { code } })),
        deactivateTOTP: () => ok(request("DELETE", "/account/authenticators/totp")),
        getRecoveryCodes: () => data(request("GET", "/account/authenticators/recovery-codes")),
        /** Replaces the recovery codes; resolves with the new ones. */
        regenerateRecoveryCodes: () => data(request("POST", "/account/authenticators/recovery-codes")),
        /** Creation options for a security key, or (`passwordless`) a passkey that can sign in alone. */
        getWebAuthnCreationOptions: (passwordless) => data(request("GET", `/account/authenticators/webauthn${passwordless ? "?passwordless" : ""}`)),
        /** Adds the credential `navigator.credentials.create()` made (its `toJSON()`). */
        addWebAuthn: (name, credential) => data(request("POST", "/account/authenticators/webauthn", { body: { name, credential } })),
        renameWebAuthn: (id, name) => data(request("PUT", "/account/authenticators/webauthn", { body: { id, name } })),
        deleteWebAuthn: (ids) => ok(request("DELETE", "/account/authenticators/webauthn", { body: { authenticators: ids } })),
        /** Request options to pass `mfa_authenticate` with a security key. */
        getWebAuthnAuthenticateOptions: () => data(request("GET", "/auth/webauthn/authenticate")),
        /** Passes `mfa_authenticate` with an assertion (its `toJSON()`). */
        webAuthnAuthenticate: (credential) => auth(request("POST", "/auth/webauthn/authenticate", { body: { credential } })),
        /** Request options for a passkey login (when `passkey_login_enabled`). */
        getPasskeyLoginOptions: () => data(request("GET", "/auth/webauthn/login")),
        /** Logs in with a passkey's assertion (its `toJSON()`). */
        passkeyLogin: (credential) => auth(request("POST", "/auth/webauthn/login", { body: { credential } })),
        // ---- social login ----------------------------------------------------
        /** The identities connected to the user. */
        listProviderAccounts: () => data(request("GET", "/account/providers")),
        /** Disconnects one; refused (400) with no_password when it is the last way in. */
        disconnectProviderAccount: (provider, account) => data(request("DELETE", "/account/providers", { body: { provider, account } })),
        /** The pending provider signup (409 when none). */
        getProviderSignup: () => data(request("GET", "/auth/provider/signup")),
        /** Finishes the pending provider signup with the account's details. */
        providerSignup: (input) => auth(request("POST", "/auth/provider/signup", { body: input })),
    };
}
