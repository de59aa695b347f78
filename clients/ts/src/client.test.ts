import { describe, expect, it } from "vitest";
import { ApiError } from "./errors.js";
import { createLatchClient, joinUrl, readCookie, toAuthState, type LatchClientOptions } from "./client.js";
import type { AuthState } from "./types.js";

interface Call {
  url: string;
  method: string;
  headers: Headers;
  body: unknown;
  credentials: RequestCredentials | undefined;
}

/** A client whose fetch records the request and answers `reply`. */
function setup(reply: { status: number; body?: unknown; headers?: Record<string, string> } | Error, opts: LatchClientOptions = {}) {
  const calls: Call[] = [];
  let cookie: string | null = "abcdefghijklmnopqrstuvwxyz012345";
  const client = createLatchClient({
    getCookie: (name) => (name === "csrftoken" ? cookie : null),
    fetch: async (input, init) => {
      calls.push({
        url: String(input),
        method: init?.method ?? "GET",
        headers: new Headers(init?.headers),
        body: typeof init?.body === "string" ? JSON.parse(init.body) : init?.body,
        credentials: init?.credentials,
      });
      if (reply instanceof Error) throw reply;
      return new Response(reply.body === undefined ? null : JSON.stringify(reply.body), {
        status: reply.status,
        headers: { "Content-Type": "application/json", ...reply.headers },
      });
    },
    ...opts,
  });
  return {
    client,
    calls,
    setCookie: (v: string | null) => {
      cookie = v;
    },
  };
}

const user = { id: "89d3f9a0-51a5-49dd-8b97-7536641958e9", display: "wizard", email: "w@example.org", has_usable_password: true };
const authenticated = { status: 200, data: { user, methods: [{ method: "password", at: 1711555057.06, email: "w@example.org" }] }, meta: { is_authenticated: true } };
const flows = (...extra: object[]) => ({
  status: 401,
  data: { flows: [{ id: "login" }, { id: "signup" }, ...extra] },
  meta: { is_authenticated: false },
});

describe("joinUrl", () => {
  it("keeps paths relative without a base (same origin)", () => {
    expect(joinUrl("", "/_allauth/browser/v1/config")).toBe("/_allauth/browser/v1/config");
    expect(joinUrl(undefined, "/x")).toBe("/x");
  });
  it("joins with exactly one slash", () => {
    expect(joinUrl("http://127.0.0.1:8000", "/a")).toBe("http://127.0.0.1:8000/a");
    expect(joinUrl("http://127.0.0.1:8000/", "/a")).toBe("http://127.0.0.1:8000/a");
    expect(joinUrl("http://127.0.0.1:8000//", "a")).toBe("http://127.0.0.1:8000/a");
    expect(joinUrl("  https://auth.example.com  ", "/a")).toBe("https://auth.example.com/a");
  });
  it("keeps a path prefix of the base", () => {
    expect(joinUrl("https://example.com/auth/", "/_allauth/browser/v1/config")).toBe(
      "https://example.com/auth/_allauth/browser/v1/config",
    );
  });
  it("is what the client requests", async () => {
    const { client, calls } = setup({ status: 200, body: { status: 200, data: { account: {} } } }, { baseUrl: "http://127.0.0.1:8000/" });
    await client.getConfig();
    expect(calls[0]?.url).toBe("http://127.0.0.1:8000/_allauth/browser/v1/config");
  });
  it("defaults to the page's origin", async () => {
    const { client, calls } = setup({ status: 200, body: { status: 200, data: { account: {} } } });
    await client.getConfig();
    expect(calls[0]?.url).toBe("/_allauth/browser/v1/config");
  });
});

describe("readCookie", () => {
  it("finds a cookie among others", () => {
    expect(readCookie("a=1; csrftoken=tok; b=2", "csrftoken")).toBe("tok");
    expect(readCookie("csrftoken=tok", "csrftoken")).toBe("tok");
  });
  it("does not match a suffix of another name", () => {
    expect(readCookie("xcsrftoken=bad; csrftoken=good", "csrftoken")).toBe("good");
    expect(readCookie("xcsrftoken=bad", "csrftoken")).toBeNull();
  });
  it("decodes, and tolerates bad encodings", () => {
    expect(readCookie("n=a%20b", "n")).toBe("a b");
    expect(readCookie("n=%E0%A4%A", "n")).toBe("%E0%A4%A");
  });
  it("returns null when absent or empty input", () => {
    expect(readCookie("", "csrftoken")).toBeNull();
    expect(readCookie("a=1", "csrftoken")).toBeNull();
  });
});

describe("CSRF and credentials", () => {
  it("sends X-CSRFToken on unsafe methods", async () => {
    for (const call of [
      (c: ReturnType<typeof setup>["client"]) => c.login({ email: "a@b.c", password: "p" }),
      (c: ReturnType<typeof setup>["client"]) => c.logout(),
      (c: ReturnType<typeof setup>["client"]) => c.markPrimaryEmailAddress("a@b.c").catch(() => undefined),
      (c: ReturnType<typeof setup>["client"]) => c.requestEmailVerification("a@b.c").catch(() => undefined),
    ]) {
      const { client, calls } = setup({ status: 401, body: flows() });
      await call(client);
      expect(["POST", "DELETE", "PATCH", "PUT"]).toContain(calls[0]?.method);
      expect(calls[0]?.headers.get("X-CSRFToken")).toBe("abcdefghijklmnopqrstuvwxyz012345");
      expect(calls[0]?.credentials).toBe("include");
    }
  });
  it("does not send it on GET, but still includes credentials", async () => {
    const { client, calls } = setup({ status: 200, body: authenticated });
    await client.getSession();
    expect(calls[0]?.method).toBe("GET");
    expect(calls[0]?.headers.has("X-CSRFToken")).toBe(false);
    expect(calls[0]?.credentials).toBe("include");
  });
  it("reads the cookie again for each request (it changes at login)", async () => {
    const { client, calls, setCookie } = setup({ status: 200, body: authenticated });
    await client.login({ username: "w", password: "p" });
    setCookie("ZYXWVUTSRQPONMLKJIHGFEDCBA987654");
    await client.changePassword({ current_password: "p", new_password: "q" });
    expect(calls[0]?.headers.get("X-CSRFToken")).toBe("abcdefghijklmnopqrstuvwxyz012345");
    expect(calls[1]?.headers.get("X-CSRFToken")).toBe("ZYXWVUTSRQPONMLKJIHGFEDCBA987654");
  });
  it("sends no header when there is no cookie (the server explains)", async () => {
    const { client, calls, setCookie } = setup({
      status: 403,
      body: { status: 403, errors: [{ code: "csrf_cookie_missing", message: "CSRF check failed: the csrftoken cookie is missing." }] },
    });
    setCookie(null);
    const err = await client.login({ email: "a@b.c", password: "p" }).catch((e: unknown) => e);
    expect(calls[0]?.headers.has("X-CSRFToken")).toBe(false);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).kind).toBe("csrf");
    expect((err as ApiError).formErrors).toEqual(["CSRF check failed: the csrftoken cookie is missing."]);
  });
  it("sends JSON bodies with a JSON content type", async () => {
    const { client, calls } = setup({ status: 200, body: { status: 200, data: [] } });
    await client.endSessions([3, 4]);
    expect(calls[0]?.headers.get("Content-Type")).toBe("application/json");
    expect(calls[0]?.body).toEqual({ sessions: [3, 4] });
  });
  it("sends keys of GET checks in their headers", async () => {
    const { client, calls } = setup({ status: 200, body: { status: 200, data: { email: "a@b.c", user }, meta: { is_authenticating: true } } });
    const info = await client.getEmailVerification("KEY-1");
    expect(calls[0]?.headers.get("X-Email-Verification-Key")).toBe("KEY-1");
    expect(info).toEqual({ email: "a@b.c", user, isAuthenticating: true });
  });
});

describe("responses", () => {
  it("turns 200 and 401 of auth endpoints into an AuthState", async () => {
    const ok = setup({ status: 200, body: authenticated });
    expect(await ok.client.login({ email: "w@example.org", password: "p" })).toMatchObject({ status: "authenticated", user });
    const pending = setup({ status: 401, body: flows({ id: "verify_email", is_pending: true }) });
    const state = await pending.client.signup({ email: "w@example.org", password: "p" });
    expect(state.status).toBe("unauthenticated");
  });
  it("tells the onAuth listener about every auth-bearing response", async () => {
    const seen: AuthState[] = [];
    const { client } = setup({ status: 401, body: flows() }, { onAuth: (s) => seen.push(s) });
    await client.listEmailAddresses().catch(() => undefined);
    expect(seen).toEqual([{ status: "unauthenticated", flows: [{ id: "login" }, { id: "signup" }] }]);
  });
  it("rejects a 401 of an account endpoint with the state in the error", async () => {
    const { client } = setup({ status: 401, body: flows() });
    const err = (await client.listSessions().catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(401);
    expect(err.kind).toBe("unauthenticated");
    expect(err.auth?.status).toBe("unauthenticated");
  });
  it("resolves link-mode password requests with undefined", async () => {
    const { client } = setup({ status: 200, body: { status: 200 } });
    expect(await client.requestPasswordReset("a@b.c")).toBeUndefined();
  });
  it("resolves code-mode password requests with the pending flow", async () => {
    const { client } = setup({ status: 401, body: flows({ id: "password_reset_by_code", is_pending: true }) });
    const state = await client.requestPasswordReset("a@b.c");
    expect(state?.status).toBe("unauthenticated");
  });
  it("ending one's own session answers the logged-out state", async () => {
    const { client } = setup({ status: 401, body: flows() });
    const r = await client.endSessions([1]);
    expect(Array.isArray(r)).toBe(false);
  });
  it("maps a failed fetch to a network ApiError", async () => {
    const { client } = setup(new TypeError("Failed to fetch"));
    const err = (await client.getSession().catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(0);
    expect(err.kind).toBe("network");
    expect(err.message).toMatch(/reach the server/);
  });
  it("copes with a body that is not JSON", async () => {
    const calls: string[] = [];
    const client = createLatchClient({
      getCookie: () => null,
      fetch: async (input) => {
        calls.push(String(input));
        return new Response("<html>Bad gateway</html>", { status: 502 });
      },
    });
    const err = (await client.getConfig().catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(502);
    expect(err.kind).toBe("server");
    expect(err.formErrors).toEqual(["Something went wrong on the server. Try again later."]);
  });
  it("reads 429s' Retry-After", async () => {
    const { client } = setup({
      status: 429,
      headers: { "Retry-After": "42" },
      body: { status: 429, errors: [{ code: "rate_limited", message: "Too many requests; try again in 42 seconds." }] },
    });
    const err = (await client.addEmailAddress("a@b.c").catch((e: unknown) => e)) as ApiError;
    expect(err.kind).toBe("rate_limited");
    expect(err.retryAfter).toBe(42);
    expect(err.formErrors).toEqual(["Too many requests. Try again in 42 seconds."]);
  });
});

describe("toAuthState", () => {
  it("recognises reauthentication (401 while authenticated)", () => {
    const s = toAuthState({
      status: 401,
      data: { user, methods: [], flows: [{ id: "reauthenticate" }] },
      meta: { is_authenticated: true },
    });
    expect(s).toEqual({ status: "reauthentication_required", user, methods: [], flows: [{ id: "reauthenticate" }] });
  });
  it("ignores responses without auth information", () => {
    expect(toAuthState({ status: 200 })).toBeNull();
    expect(toAuthState({ status: 409 })).toBeNull();
    expect(toAuthState({ status: 200, data: [] })).toBeNull();
  });
});
