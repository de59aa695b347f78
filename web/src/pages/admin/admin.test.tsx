// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { adminApi, queryString, useIsStaff, type UserQuery } from "./adminApi";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  document.cookie = "csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT";
});

const EMPTY: UserQuery = { q: "", is_active: "", is_staff: "", email_verified: "", has_mfa: "", sort: "-date_joined", cursor: null };

/** Stubs fetch with one answer; returns the recorded calls. */
function answer(status: number, body: unknown) {
  const calls: { url: string; init: RequestInit }[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn((url: string, init: RequestInit) => {
      calls.push({ url, init });
      return Promise.resolve(new Response(body === null ? null : JSON.stringify(body), { status }));
    }),
  );
  return calls;
}

describe("queryString", () => {
  it("keeps the set fields only", () => {
    expect(queryString({ q: "ann", is_staff: "", cursor: null, sort: "email" })).toBe("?q=ann&sort=email");
    expect(queryString({ q: "" })).toBe("");
  });
});

describe("adminApi", () => {
  it("lists users with the search, filters, sort and cursor, and reads the next cursor", async () => {
    const calls = answer(200, { status: 200, data: [{ id: "u1", email: "a@b.c" }], meta: { next_cursor: "c2" } });
    const page = await adminApi.listUsers({ ...EMPTY, q: " ann ", is_active: "false", has_mfa: "true", sort: "email", cursor: "c1" }, 10);
    expect(calls[0]?.url).toBe("/_latch/admin/v1/users?q=ann&is_active=false&has_mfa=true&sort=email&cursor=c1&limit=10");
    expect(calls[0]?.init.credentials).toBe("include");
    expect(page).toEqual({ items: [{ id: "u1", email: "a@b.c" }], next: "c2" });
  });

  it("reads no next cursor on the last page", async () => {
    answer(200, { status: 200, data: [], meta: {} });
    expect((await adminApi.listAudit({ type: "admin.user_updated", user: "", cursor: null })).next).toBeNull();
  });

  it("sends the CSRF token with a PATCH, not with a GET", async () => {
    document.cookie = "csrftoken=tok123";
    const calls = answer(200, { status: 200, data: { id: "u1" } });
    await adminApi.updateUser("u1", { is_active: false });
    const headers = new Headers(calls[0]?.init.headers);
    expect(calls[0]?.init.method).toBe("PATCH");
    expect(headers.get("X-CSRFToken")).toBe("tok123");
    expect(calls[0]?.init.body).toBe(JSON.stringify({ is_active: false }));
    await adminApi.getUser("u1");
    expect(new Headers(calls[1]?.init.headers).get("X-CSRFToken")).toBeNull();
  });

  it("rejects with the status and the server's errors", async () => {
    answer(403, { status: 403, errors: [{ code: "forbidden", message: "Staff only." }] });
    await expect(adminApi.resetMFA("u1")).rejects.toMatchObject({ status: 403, messages: ["Staff only."] });
  });
});

function Probe() {
  const staff = useIsStaff(true);
  return <p>{staff === undefined ? "unknown" : staff ? "staff" : "not staff"}</p>;
}

describe("useIsStaff", () => {
  const renderProbe = () =>
    render(
      <QueryClientProvider client={new QueryClient()}>
        <Probe />
      </QueryClientProvider>,
    );
  it("is true when the admin API answers", async () => {
    answer(200, { status: 200, data: [], meta: {} });
    const { container } = renderProbe();
    await waitFor(() => expect(container.textContent).toBe("staff"));
  });
  it("is false on a 403", async () => {
    answer(403, { status: 403, errors: [{ code: "forbidden", message: "Staff only." }] });
    const { container } = renderProbe();
    await waitFor(() => expect(container.textContent).toBe("not staff"));
  });
});
