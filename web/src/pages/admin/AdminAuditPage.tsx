import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useSearch } from "wouter";
import { Page } from "../../components/ui";
import { AdminNav, AdminQueryState } from "./AdminNav";
import { adminApi, adminKeys, formatTime, type AuditQuery } from "./adminApi";

/** The audit log, newest first, filtered by event type and user (?type=&user= in the URL to start with). */
export function AdminAuditPage() {
  // A new query string (a link from another user's page) starts afresh.
  const search = useSearch();
  return <AuditLog key={search} search={search} />;
}

function AuditLog({ search }: { search: string }) {
  const params = new URLSearchParams(search);
  const [query, setQuery] = useState<AuditQuery>({ type: params.get("type") ?? "", user: params.get("user") ?? "", cursor: null });
  const [type, setType] = useState(query.type);
  const [user, setUser] = useState(query.user);
  const [previous, setPrevious] = useState<(string | null)[]>([]);
  const audit = useQuery({ queryKey: adminKeys.audit(query), queryFn: () => adminApi.listAudit(query), placeholderData: keepPreviousData });

  const onFilter = (e: FormEvent) => {
    e.preventDefault();
    setPrevious([]);
    setQuery({ type, user, cursor: null });
  };

  return (
    <Page title="Audit log" wide>
      <AdminNav />
      <form className="admin-filters" onSubmit={onFilter}>
        <label>
          Event type <input name="type" value={type} onChange={(e) => setType(e.target.value)} placeholder="e.g. user.deactivated" />
        </label>
        <label>
          User id <input name="user" value={user} onChange={(e) => setUser(e.target.value)} />
        </label>
        <button type="submit" className="button small">
          Filter
        </button>
      </form>
      <AdminQueryState isPending={audit.isPending} error={audit.error} retry={() => void audit.refetch()}>
        {audit.data && audit.data.items.length === 0 ? (
          <p className="empty">No events match.</p>
        ) : (
          <table className="admin-table" aria-label="Audit log" aria-busy={audit.isFetching}>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">User</th>
                <th scope="col">IP</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {audit.data?.items.map((e) => (
                <tr key={e.id}>
                  <td>{formatTime(e.at)}</td>
                  <td>
                    <code>{e.type}</code>
                  </td>
                  <td>{e.user ? <Link href={`/account/admin/users/${encodeURIComponent(e.user)}`}>{e.user}</Link> : "—"}</td>
                  <td>{e.ip || "—"}</td>
                  <td>
                    <code className="admin-details">{e.details && Object.keys(e.details).length > 0 ? JSON.stringify(e.details) : ""}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div className="admin-pager">
          <button
            type="button"
            className="button small"
            disabled={previous.length === 0}
            onClick={() => {
              setQuery((q) => ({ ...q, cursor: previous[previous.length - 1] ?? null }));
              setPrevious((p) => p.slice(0, -1));
            }}
          >
            Newer
          </button>
          <button
            type="button"
            className="button small"
            disabled={!audit.data?.next}
            onClick={() => {
              const next = audit.data?.next ?? null;
              setPrevious((p) => [...p, query.cursor]);
              setQuery((q) => ({ ...q, cursor: next }));
            }}
          >
            Older
          </button>
        </div>
      </AdminQueryState>
    </Page>
  );
}
