// The app client's credentials: the session token (`X-Session-Token`) and,
// under Latch's JWT strategy, an access token (`Authorization: Bearer`)
// with its refresh token. Logins hand them out in `meta`; the client keeps
// them in a TokenStore and refreshes the access token before it expires.

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
export function memoryTokenStore(initial: Tokens = {}): TokenStore {
  let current: Tokens = { ...initial };
  return {
    get: () => current,
    set: (t) => {
      current = { ...t };
    },
  };
}

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
export function jwtExpiry(token: string): number | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const json = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    const claims: unknown = JSON.parse(json);
    const exp = typeof claims === "object" && claims !== null ? (claims as { exp?: unknown }).exp : undefined;
    return typeof exp === "number" ? exp : null;
  } catch {
    return null;
  }
}

/** The headers that carry these tokens: the access token when there is one, else the session token. */
export function authHeaders(t: Tokens): Record<string, string> {
  if (t.accessToken) return { Authorization: `Bearer ${t.accessToken}` };
  if (t.sessionToken) return { "X-Session-Token": t.sessionToken };
  return {};
}

/** The tokens a response's `meta` (or a refresh's `data`) hands out, merged into `t`. */
export function tokensFrom(t: Tokens, body: Envelope): Tokens {
  const meta = (body.meta ?? {}) as Record<string, unknown>;
  const data = (typeof body.data === "object" && body.data !== null ? body.data : {}) as Record<string, unknown>;
  const pick = (k: string) => (typeof meta[k] === "string" ? (meta[k] as string) : undefined);
  const out: Tokens = { ...t };
  const session = pick("session_token");
  if (session) out.sessionToken = session;
  const access = pick("access_token") ?? (typeof data.access_token === "string" && "refresh_token" in data ? data.access_token : undefined);
  const refresh = pick("refresh_token") ?? (typeof data.refresh_token === "string" ? data.refresh_token : undefined);
  if (access) out.accessToken = access;
  if (refresh) out.refreshToken = refresh;
  return out;
}

/** How many times a refresh whose answer was lost is sent again (inside the server's grace window). */
const REFRESH_RETRIES = 2;

export function createTokenAuth(opts: TokenAuthOptions): TokenAuth {
  const store = opts.store ?? memoryTokenStore();
  const leeway = (opts.leeway ?? 30) * 1000;
  const now = opts.now ?? Date.now;
  let inFlight: Promise<boolean> | null = null;

  async function doRefresh(): Promise<boolean> {
    const t = await store.get();
    if (!t.refreshToken) return false;
    const spent = t.refreshToken;
    let res: SentResponse | null = null;
    // A refresh token works once, but repeating it within the server's
    // LATCH_JWT_REFRESH_GRACE answers the same pair: when the answer is
    // lost (network error), sending the same token again at once is safe
    // and gets the tokens the first attempt was given.
    for (let attempt = 0; ; attempt++) {
      try {
        res = await opts.refresh(spent, t.sessionToken ? { "X-Session-Token": t.sessionToken } : {});
        break;
      } catch (e) {
        if (attempt >= REFRESH_RETRIES) throw e;
      }
    }
    const latest = await store.get();
    if (res.status === 200) {
      await store.set(tokensFrom(latest, res.body));
      return true;
    }
    if (latest.refreshToken !== spent) return true; // someone else refreshed meanwhile
    if (res.status === 400 || res.status === 410) {
      // Refused (spent, expired, session gone): the tokens are worthless.
      await store.set(res.status === 410 ? {} : { sessionToken: latest.sessionToken });
    }
    return false;
  }

  function refresh(): Promise<boolean> {
    inFlight ??= doRefresh().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  async function due(t: Tokens): Promise<boolean> {
    if (!t.accessToken || !t.refreshToken) return false;
    const exp = jwtExpiry(t.accessToken);
    return exp !== null && exp * 1000 - leeway <= now();
  }

  async function around<R extends SentResponse>(send: (headers: Record<string, string>) => Promise<R>): Promise<R> {
    let t = await store.get();
    if (await due(t)) {
      await refresh();
      t = await store.get();
    }
    let res = await send(authHeaders(t));
    if (res.status === 401 && t.accessToken && t.refreshToken && res.body.meta?.is_authenticated !== true) {
      // The access token was refused (expired early, clock skew): refresh once and retry.
      if (await refresh()) {
        t = await store.get();
        res = await send(authHeaders(t));
      }
    }
    const latest = await store.get();
    if (res.status === 410) {
      await store.set({});
    } else {
      const next = tokensFrom(latest, res.body);
      if (next.sessionToken !== latest.sessionToken || next.accessToken !== latest.accessToken || next.refreshToken !== latest.refreshToken) {
        await store.set(next);
      }
      // A logout answers 401 without a token: this session is over.
      if (res.status === 401 && res.body.meta?.is_authenticated === false && !res.body.meta?.session_token && t.sessionToken) {
        const flows = (res.body.data as { flows?: Array<{ is_pending?: boolean }> } | undefined)?.flows ?? [];
        if (!flows.some((f) => f.is_pending)) await store.set({});
      }
    }
    return res;
  }

  return { store, around, refresh };
}
