// The admin API (/_latch/admin/v1/…) as the web app calls it: with the
// session cookie, and the csrftoken cookie's value in X-CSRFToken for
// unsafe methods, like the headless API client does. Shapes follow
// httpapi/openapi.yaml (tag Admin).

import { useQuery } from "@tanstack/react-query";
import { ApiError, CSRF_COOKIE, CSRF_HEADER, type ErrorEntry } from "@latchauth/client";
import { keys } from "../../app/latch";

const ADMIN_PREFIX = "/_latch/admin/v1";
const baseUrl: string = import.meta.env.VITE_LATCH_URL ?? "";

export interface AdminUser {
  id: string;
  email: string | null;
  username: string | null;
  is_active: boolean;
  is_staff: boolean;
  is_superuser: boolean;
  date_joined: string | null;
  last_login: string | null;
  email_verified: boolean;
  has_mfa: boolean;
}

export interface AdminUserDetail extends AdminUser {
  emails: { email: string; verified: boolean; primary: boolean }[];
  sessions: { id: number; created_at: string | null; last_seen_at: string | null; ip: string; user_agent: string }[];
  authenticators: { type: string; created_at: string | null; last_used_at: string | null }[];
  providers: { provider: string; uid: string; email: string; display: string; created_at: string | null; last_login: string | null }[];
}

export interface AuditEntry {
  id: number;
  at: string | null;
  type: string;
  user: string | null;
  ip: string;
  user_agent: string;
  details: Record<string, unknown> | null;
}

/** One page of a list and the cursor of the next one (null on the last page). */
export interface ListPage<T> {
  items: T[];
  next: string | null;
}

export const USER_SORTS = ["-date_joined", "date_joined", "-last_login", "last_login", "email"] as const;
export type UserSort = (typeof USER_SORTS)[number];

/** A yes/no filter; "" leaves it out. */
export type Flag = "" | "true" | "false";

export interface UserQuery {
  q: string;
  is_active: Flag;
  is_staff: Flag;
  email_verified: Flag;
  has_mfa: Flag;
  sort: UserSort;
  cursor: string | null;
}

export interface AuditQuery {
  type: string;
  user: string;
  cursor: string | null;
}

/** The query string of the set fields of params, in order. */
export function queryString(params: Record<string, string | null | undefined>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) s.set(k, v);
  const out = s.toString();
  return out ? `?${out}` : "";
}

function csrfToken(): string | null {
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === CSRF_COOKIE) return decodeURIComponent(v.join("="));
  }
  return null;
}

interface Envelope {
  data?: unknown;
  meta?: { next_cursor?: string };
  errors?: ErrorEntry[];
}

/** Sends one admin request; resolves with the envelope of a 2xx (empty for 204), else rejects with an ApiError. */
async function send(method: "GET" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<Envelope> {
  const headers = new Headers({ Accept: "application/json" });
  if (body !== undefined) headers.set("Content-Type", "application/json");
  if (method !== "GET") {
    const token = csrfToken();
    if (token) headers.set(CSRF_HEADER, token);
  }
  let res: Response;
  try {
    res = await fetch(baseUrl + ADMIN_PREFIX + path, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      credentials: "include",
      cache: "no-store",
    });
  } catch (cause) {
    throw new ApiError({ status: 0, cause });
  }
  let env: Envelope = {};
  const text = await res.text().catch(() => "");
  if (text) {
    try {
      env = JSON.parse(text) as Envelope;
    } catch {
      // not JSON: keep the bare status
    }
  }
  if (!res.ok) throw new ApiError({ status: res.status, errors: env.errors });
  return env;
}

export const adminApi = {
  async listUsers(q: UserQuery, limit = 25): Promise<ListPage<AdminUser>> {
    const env = await send(
      "GET",
      "/users" +
        queryString({
          q: q.q.trim(),
          is_active: q.is_active,
          is_staff: q.is_staff,
          email_verified: q.email_verified,
          has_mfa: q.has_mfa,
          sort: q.sort,
          cursor: q.cursor,
          limit: String(limit),
        }),
    );
    return { items: (env.data as AdminUser[] | undefined) ?? [], next: env.meta?.next_cursor ?? null };
  },
  async getUser(id: string): Promise<AdminUserDetail> {
    return (await send("GET", `/users/${encodeURIComponent(id)}`)).data as AdminUserDetail;
  },
  async updateUser(id: string, patch: Partial<Pick<AdminUser, "is_active" | "is_staff" | "is_superuser">>): Promise<AdminUserDetail> {
    return (await send("PATCH", `/users/${encodeURIComponent(id)}`, patch)).data as AdminUserDetail;
  },
  async revokeSessions(id: string): Promise<void> {
    await send("DELETE", `/users/${encodeURIComponent(id)}/sessions`);
  },
  async resetMFA(id: string): Promise<void> {
    await send("DELETE", `/users/${encodeURIComponent(id)}/authenticators`);
  },
  async listAudit(q: AuditQuery, limit = 50): Promise<ListPage<AuditEntry>> {
    const env = await send("GET", "/audit" + queryString({ type: q.type.trim(), user: q.user.trim(), cursor: q.cursor, limit: String(limit) }));
    return { items: (env.data as AuditEntry[] | undefined) ?? [], next: env.meta?.next_cursor ?? null };
  },
};

export const adminKeys = {
  /** Under keys.account: dropped when the user signs out. */
  all: [...keys.account, "admin"] as const,
  staff: [...keys.account, "admin", "staff"] as const,
  users: (q: UserQuery) => [...keys.account, "admin", "users", q] as const,
  user: (id: string) => [...keys.account, "admin", "user", id] as const,
  audit: (q: AuditQuery) => [...keys.account, "admin", "audit", q] as const,
};

/** Whether an error is the admin API's "not staff" (403). */
export function isForbidden(error: unknown): boolean {
  return error instanceof ApiError && error.status === 403;
}

/**
 * Whether the signed-in user is staff: the session does not say, so the
 * app asks the admin API for one user and takes a 403 for "no". Undefined
 * while unknown (or when `enabled` is false).
 */
export function useIsStaff(enabled: boolean): boolean | undefined {
  const probe = useQuery({
    queryKey: adminKeys.staff,
    queryFn: async () => {
      try {
        await adminApi.listUsers({ q: "", is_active: "", is_staff: "", email_verified: "", has_mfa: "", sort: "-date_joined", cursor: null }, 1);
        return true;
      } catch (e) {
        if (isForbidden(e)) return false;
        throw e;
      }
    },
    enabled,
    staleTime: 5 * 60_000,
    retry: false,
  });
  return probe.data;
}

/** An RFC 3339 time for people, or "—". */
export function formatTime(at: string | null): string {
  if (!at) return "—";
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? at : d.toLocaleString();
}
