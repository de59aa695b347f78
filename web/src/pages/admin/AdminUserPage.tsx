import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { Link, useParams } from "wouter";
import { ApiError } from "@latchauth/client";
import { describeUserAgent } from "../sessions/SessionsPage";
import { FormErrors } from "../../components/forms";
import { Page } from "../../components/ui";
import { AdminNav, AdminQueryState } from "./AdminNav";
import { adminApi, adminKeys, formatTime, type AdminUserDetail } from "./adminApi";

type Action =
  | { kind: "patch"; patch: Partial<Pick<AdminUserDetail, "is_active" | "is_staff" | "is_superuser">>; done: string }
  | { kind: "revoke"; done: string }
  | { kind: "resetMFA"; done: string };

/** One user: addresses, sessions, authenticators, providers, and the operator's actions. */
export function AdminUserPage() {
  const { id = "" } = useParams<{ id: string }>();
  const qc = useQueryClient();
  const user = useQuery({ queryKey: adminKeys.user(id), queryFn: () => adminApi.getUser(id) });
  const [status, setStatus] = useState<string | null>(null);
  const statusRef = useRef<HTMLDivElement>(null);
  const act = useMutation({
    mutationFn: async (a: Action): Promise<AdminUserDetail> => {
      if (a.kind === "patch") return adminApi.updateUser(id, a.patch);
      if (a.kind === "revoke") await adminApi.revokeSessions(id);
      else await adminApi.resetMFA(id);
      return adminApi.getUser(id);
    },
    onMutate: () => setStatus(null),
    onSuccess: (detail, a) => {
      qc.setQueryData(adminKeys.user(id), detail);
      // Lists and the audit log now say something else.
      void qc.invalidateQueries({ queryKey: adminKeys.all, predicate: (q) => q.queryKey[3] !== "user" });
      setStatus(a.done);
      window.requestAnimationFrame(() => statusRef.current?.focus());
    },
  });
  const u = user.data;
  const name = u ? (u.email ?? u.username ?? u.id) : "User";

  return (
    <Page title={name} wide>
      <AdminNav />
      <div ref={statusRef} tabIndex={-1} role="status" className={status ? "notice notice-success" : "visually-hidden"}>
        {status}
      </div>
      <FormErrors messages={act.error instanceof ApiError ? act.error.messages : act.error ? ["Something went wrong."] : []} />
      <AdminQueryState isPending={user.isPending} error={user.error} retry={() => void user.refetch()}>
        {u ? (
          <>
            <dl className="admin-facts">
              <dt>Id</dt>
              <dd>
                <code>{u.id}</code>
              </dd>
              <dt>Username</dt>
              <dd>{u.username ?? "—"}</dd>
              <dt>Status</dt>
              <dd>{u.is_active ? "Active" : "Inactive"}</dd>
              <dt>Roles</dt>
              <dd>{u.is_superuser ? "Superuser, staff" : u.is_staff ? "Staff" : "None"}</dd>
              <dt>Joined</dt>
              <dd>{formatTime(u.date_joined)}</dd>
              <dt>Last login</dt>
              <dd>{formatTime(u.last_login)}</dd>
            </dl>
            <div className="form-actions admin-actions">
              <button
                type="button"
                className={u.is_active ? "button danger" : "button primary"}
                disabled={act.isPending}
                onClick={() =>
                  act.mutate(
                    u.is_active
                      ? { kind: "patch", patch: { is_active: false }, done: "The user was deactivated and signed out everywhere." }
                      : { kind: "patch", patch: { is_active: true }, done: "The user was activated." },
                  )
                }
              >
                {u.is_active ? "Deactivate" : "Activate"}
              </button>
              <button
                type="button"
                className="button"
                disabled={act.isPending}
                onClick={() =>
                  act.mutate({ kind: "patch", patch: { is_staff: !u.is_staff }, done: u.is_staff ? "Staff access was removed." : "The user is now staff." })
                }
              >
                {u.is_staff ? "Remove staff" : "Make staff"}
              </button>
              <button
                type="button"
                className="button"
                disabled={act.isPending}
                onClick={() =>
                  act.mutate({
                    kind: "patch",
                    patch: { is_superuser: !u.is_superuser },
                    done: u.is_superuser ? "Superuser status was removed." : "The user is now a superuser.",
                  })
                }
              >
                {u.is_superuser ? "Remove superuser" : "Make superuser"}
              </button>
              <Link href={`/account/admin/audit?user=${encodeURIComponent(u.id)}`} className="button">
                Audit log
              </Link>
            </div>

            <h2>Email addresses</h2>
            {u.emails.length === 0 ? (
              <p className="empty">No addresses.</p>
            ) : (
              <ul className="rows" aria-label="Email addresses">
                {u.emails.map((e) => (
                  <li key={e.email} className="row">
                    <div className="row-main">
                      <span className="row-title">{e.email}</span>
                      <span className="badges">
                        {e.primary ? <span className="badge badge-primary">Primary</span> : null}
                        {e.verified ? <span className="badge badge-ok">Verified</span> : <span className="badge badge-warn">Unverified</span>}
                      </span>
                    </div>
                  </li>
                ))}
              </ul>
            )}

            <h2>Sessions</h2>
            {u.sessions.length === 0 ? (
              <p className="empty">No sessions.</p>
            ) : (
              <>
                <ul className="rows" aria-label="Sessions">
                  {u.sessions.map((s) => (
                    <li key={s.id} className="row">
                      <div className="row-main">
                        <span className="row-title">{describeUserAgent(s.user_agent)}</span>
                        <span className="muted">
                          {s.ip || "unknown IP"} · signed in {formatTime(s.created_at)} · last seen {formatTime(s.last_seen_at)}
                        </span>
                      </div>
                    </li>
                  ))}
                </ul>
                <button
                  type="button"
                  className="button danger"
                  disabled={act.isPending}
                  onClick={() => act.mutate({ kind: "revoke", done: "Every session of the user was signed out." })}
                >
                  Sign out all sessions
                </button>
              </>
            )}

            <h2>Two-factor authenticators</h2>
            {u.authenticators.length === 0 ? (
              <p className="empty">No authenticators.</p>
            ) : (
              <>
                <ul className="rows" aria-label="Authenticators">
                  {u.authenticators.map((a, i) => (
                    <li key={`${a.type}-${i}`} className="row">
                      <div className="row-main">
                        <span className="row-title">{a.type}</span>
                        <span className="muted">
                          added {formatTime(a.created_at)} · last used {formatTime(a.last_used_at)}
                        </span>
                      </div>
                    </li>
                  ))}
                </ul>
                <button
                  type="button"
                  className="button danger"
                  disabled={act.isPending}
                  onClick={() => act.mutate({ kind: "resetMFA", done: "Two-factor authentication was reset." })}
                >
                  Reset two-factor authentication
                </button>
              </>
            )}

            <h2>Connected accounts</h2>
            {u.providers.length === 0 ? (
              <p className="empty">No connected accounts.</p>
            ) : (
              <ul className="rows" aria-label="Connected accounts">
                {u.providers.map((p) => (
                  <li key={`${p.provider}-${p.uid}`} className="row">
                    <div className="row-main">
                      <span className="row-title">
                        {p.provider}: {p.display || p.email || p.uid}
                      </span>
                      <span className="muted">
                        connected {formatTime(p.created_at)} · last login {formatTime(p.last_login)}
                      </span>
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </>
        ) : null}
      </AdminQueryState>
    </Page>
  );
}
