import { describe, expect, it } from "vitest";
import { createAppClient } from "./client.js";
import { jwtExpiry, memoryTokenStore } from "./tokens.js";

/** A JWT-shaped token (unsigned: the client only reads exp) expiring at exp (seconds). */
function jwt(exp: number, n = 0): string {
  const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${b64({ alg: "EdDSA" })}.${b64({ exp, n })}.sig`;
}

interface Call {
  url: string;
  method: string;
  headers: Headers;
  body: unknown;
}

/** A fake app tree: login hands out tokens; refresh rotates them with a grace window; one lost answer on demand. */
function fakeLatch(opts: { now: () => number; loseFirstRefreshAnswer?: boolean }) {
  const calls: Call[] = [];
  let generation = 0;
  const spent = new Map<string, { access: string; refresh: string }>();
  let live = { access: "", refresh: "" };
  let lost = opts.loseFirstRefreshAnswer ?? false;
  const json = (status: number, body: object) => new Response(JSON.stringify({ status, ...body }), { status });
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const body: unknown = init?.body ? JSON.parse(String(init.body)) : undefined;
    const headers = new Headers(init?.headers);
    calls.push({ url, method: init?.method ?? "GET", headers, body });
    const user = { id: "u1", display: "ann", has_usable_password: true };
    if (url.endsWith("/auth/login")) {
      generation++;
      live = { access: jwt(opts.now() / 1000 + 300, generation), refresh: `r${generation}` };
      return json(200, {
        data: { user, methods: [] },
        meta: { is_authenticated: true, session_token: "st", access_token: live.access, refresh_token: live.refresh },
      });
    }
    if (url.endsWith("/tokens/refresh")) {
      const token = (body as { refresh_token: string }).refresh_token;
      const repeat = spent.get(token);
      let pair: { access: string; refresh: string };
      if (repeat) pair = repeat; // within the grace window: the same pair again
      else if (token === live.refresh) {
        generation++;
        pair = { access: jwt(opts.now() / 1000 + 300, generation), refresh: `r${generation}` };
        spent.set(token, pair);
        live = pair;
      } else return json(400, {});
      if (lost) {
        lost = false;
        throw new TypeError("network error after the server answered");
      }
      return json(200, { data: { access_token: pair.access, refresh_token: pair.refresh } });
    }
    if (url.endsWith("/auth/session")) {
      const auth = headers.get("Authorization");
      if (auth === `Bearer ${live.access}` && (jwtExpiry(live.access) ?? 0) * 1000 > opts.now()) {
        return json(200, { data: { user, methods: [] }, meta: { is_authenticated: true } });
      }
      if (headers.get("X-Session-Token") === "gone") return json(410, { data: { flows: [] }, meta: { is_authenticated: false } });
      return json(401, { data: { flows: [{ id: "login" }] }, meta: { is_authenticated: false } });
    }
    return json(404, {});
  };
  return { fetch, calls };
}

describe("app client tokens", () => {
  it("keeps the tokens of a login and sends the access token, not cookies or CSRF", async () => {
    const now = 1_000_000_000_000;
    const latch = fakeLatch({ now: () => now });
    const client = createAppClient({ baseUrl: "https://auth.test", fetch: latch.fetch, now: () => now });
    await client.login({ email: "a@b.c", password: "pw" });
    const t = await client.tokens!.get();
    expect(t.sessionToken).toBe("st");
    expect(t.refreshToken).toBe("r1");
    const state = await client.getSession();
    expect(state.status).toBe("authenticated");
    const last = latch.calls.at(-1)!;
    expect(last.url).toBe("https://auth.test/_allauth/app/v1/auth/session");
    expect(last.headers.get("Authorization")).toBe(`Bearer ${t.accessToken}`);
    expect(last.headers.get("X-CSRFToken")).toBeNull();
  });

  it("refreshes a due access token once for concurrent requests", async () => {
    let now = 1_000_000_000_000;
    const latch = fakeLatch({ now: () => now });
    const client = createAppClient({ fetch: latch.fetch, refreshLeeway: 30, now: () => now });
    await client.login({ email: "a@b.c", password: "pw" });
    now += 290_000; // 10 s before exp, inside the leeway
    const states = await Promise.all([client.getSession(), client.getSession(), client.getSession()]);
    expect(states.map((s) => s.status)).toEqual(["authenticated", "authenticated", "authenticated"]);
    expect(latch.calls.filter((c) => c.url.endsWith("/tokens/refresh"))).toHaveLength(1);
    expect((await client.tokens!.get()).refreshToken).toBe("r2");
  });

  it("sends the same refresh token again when the answer was lost (grace window), and gets the pair", async () => {
    let now = 1_000_000_000_000;
    const latch = fakeLatch({ now: () => now, loseFirstRefreshAnswer: true });
    const client = createAppClient({ fetch: latch.fetch, now: () => now });
    await client.login({ email: "a@b.c", password: "pw" });
    now += 400_000; // expired
    expect((await client.getSession()).status).toBe("authenticated");
    const refreshes = latch.calls.filter((c) => c.url.endsWith("/tokens/refresh"));
    expect(refreshes.map((c) => (c.body as { refresh_token: string }).refresh_token)).toEqual(["r1", "r1"]);
    expect((await client.tokens!.get()).refreshToken).toBe("r2");
  });

  it("drops the tokens when the session is gone (410)", async () => {
    const store = memoryTokenStore({ sessionToken: "gone" });
    const client = createAppClient({ fetch: fakeLatch({ now: Date.now }).fetch, tokens: store });
    const state = await client.getSession();
    expect(state.status).toBe("unauthenticated");
    expect(await store.get()).toEqual({});
  });

  it("drops a refused refresh token and keeps the session token", async () => {
    const store = memoryTokenStore({ sessionToken: "st", accessToken: jwt(1), refreshToken: "stolen" });
    const client = createAppClient({ fetch: fakeLatch({ now: Date.now }).fetch, tokens: store });
    expect((await client.getSession()).status).toBe("unauthenticated");
    expect((await store.get()).refreshToken).toBeUndefined();
  });
});

describe("jwtExpiry", () => {
  it("reads exp, and null for what is not a JWT", () => {
    expect(jwtExpiry(jwt(42))).toBe(42);
    expect(jwtExpiry("opaque")).toBeNull();
    expect(jwtExpiry("a.!!!.c")).toBeNull();
  });
});
