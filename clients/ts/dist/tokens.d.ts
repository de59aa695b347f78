import type { Envelope } from "./types.js";
/** What the app client keeps between requests. */
export interface Tokens {
    sessionToken?: string | undefined;
    accessToken?: string | undefined;
    refreshToken?: string | undefined;
}
/**
 * Where the tokens live: memory by default; give one backed by
 * localStorage, the keychain, a file… to keep a login across restarts.
 * `get` is read before every request, so tabs or processes sharing a store
 * see each other's refreshes.
 */
export interface TokenStore {
    get(): Tokens | Promise<Tokens>;
    set(tokens: Tokens): void | Promise<void>;
}
/** A TokenStore in memory. */
export declare function memoryTokenStore(initial?: Tokens): TokenStore;
/** The response of a request, as the client reads it. */
export interface SentResponse {
    status: number;
    body: Envelope;
}
export interface TokenAuthOptions {
    store?: TokenStore | undefined;
    /** Seconds before `exp` at which the access token is refreshed (default 30). */
    leeway?: number | undefined;
    /** POSTs /tokens/refresh with the refresh token (and these headers). */
    refresh: (refreshToken: string, headers: Record<string, string>) => Promise<SentResponse>;
    /** The clock, in milliseconds (tests). */
    now?: (() => number) | undefined;
}
export interface TokenAuth {
    store: TokenStore;
    /**
     * Runs a request with the current credentials as headers: refreshes a
     * due access token first, records the tokens a response hands out, drops
     * them when the response says the session is gone (410), and retries
     * once after a refresh when an access token was refused (401 while one
     * was sent).
     */
    around<R extends SentResponse>(send: (headers: Record<string, string>) => Promise<R>): Promise<R>;
    /** Refreshes now (one refresh at a time; concurrent callers share it). */
    refresh(): Promise<boolean>;
}
/** The `exp` claim of a JWT (seconds), or null when it has none or is not a JWT. */
export declare function jwtExpiry(token: string): number | null;
/** The headers that carry these tokens: the access token when there is one, else the session token. */
export declare function authHeaders(t: Tokens): Record<string, string>;
/** The tokens a response's `meta` (or a refresh's `data`) hands out, merged into `t`. */
export declare function tokensFrom(t: Tokens, body: Envelope): Tokens;
export declare function createTokenAuth(opts: TokenAuthOptions): TokenAuth;
