import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "wouter";
import { Page } from "../../components/ui";
import { AdminNav, AdminQueryState } from "./AdminNav";
import { adminApi, adminKeys, formatTime, USER_SORTS, type Flag, type UserQuery, type UserSort } from "./adminApi";

const SORT_LABELS: Record<UserSort, string> = {
  "-date_joined": "Newest first",
  date_joined: "Oldest first",
  "-last_login": "Last login, latest first",
  last_login: "Last login, earliest first",
  email: "Email",
};

const FILTERS = [
  { name: "is_active", label: "Active" },
  { name: "is_staff", label: "Staff" },
  { name: "email_verified", label: "Verified" },
  { name: "has_mfa", label: "Two-factor" },
] as const;

const EMPTY: UserQuery = { q: "", is_active: "", is_staff: "", email_verified: "", has_mfa: "", sort: "-date_joined", cursor: null };

/** The users table: search, filters, sort, and pages by cursor (keyset, no offsets). */
export function AdminUsersPage() {
  const [query, setQuery] = useState<UserQuery>(EMPTY);
  const [search, setSearch] = useState("");
  // The cursors of the pages before this one, to go back.
  const [previous, setPrevious] = useState<(string | null)[]>([]);
  const users = useQuery({ queryKey: adminKeys.users(query), queryFn: () => adminApi.listUsers(query), placeholderData: keepPreviousData });

  const change = (patch: Partial<UserQuery>) => {
    setPrevious([]);
    setQuery((q) => ({ ...q, ...patch, cursor: null }));
  };
  const onSearch = (e: FormEvent) => {
    e.preventDefault();
    change({ q: search });
  };

  return (
    <Page title="Users" wide>
      <AdminNav />
      <form className="admin-filters" role="search" onSubmit={onSearch}>
        <label>
          Search <input type="search" name="q" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="Email or username" />
        </label>
        <button type="submit" className="button small">
          Search
        </button>
        {FILTERS.map((f) => (
          <label key={f.name}>
            {f.label}{" "}
            <select name={f.name} value={query[f.name]} onChange={(e) => change({ [f.name]: e.target.value as Flag })}>
              <option value="">Any</option>
              <option value="true">Yes</option>
              <option value="false">No</option>
            </select>
          </label>
        ))}
        <label>
          Sort{" "}
          <select name="sort" value={query.sort} onChange={(e) => change({ sort: e.target.value as UserSort })}>
            {USER_SORTS.map((s) => (
              <option key={s} value={s}>
                {SORT_LABELS[s]}
              </option>
            ))}
          </select>
        </label>
      </form>
      <AdminQueryState isPending={users.isPending} error={users.error} retry={() => void users.refetch()}>
        {users.data && users.data.items.length === 0 ? (
          <p className="empty">No users match.</p>
        ) : (
          <table className="admin-table" aria-label="Users" aria-busy={users.isFetching}>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Status</th>
                <th scope="col">Joined</th>
                <th scope="col">Last login</th>
              </tr>
            </thead>
            <tbody>
              {users.data?.items.map((u) => (
                <tr key={u.id}>
                  <td>
                    <Link href={`/account/admin/users/${encodeURIComponent(u.id)}`}>{u.email ?? u.username ?? u.id}</Link>
                    {u.email && u.username ? <div className="muted">{u.username}</div> : null}
                  </td>
                  <td>
                    <span className="badges">
                      {u.is_active ? null : <span className="badge badge-warn">Inactive</span>}
                      {u.is_superuser ? <span className="badge badge-primary">Superuser</span> : u.is_staff ? <span className="badge badge-primary">Staff</span> : null}
                      {u.email_verified ? <span className="badge badge-ok">Verified</span> : <span className="badge">Unverified</span>}
                      {u.has_mfa ? <span className="badge badge-ok">2FA</span> : null}
                    </span>
                  </td>
                  <td>{formatTime(u.date_joined)}</td>
                  <td>{formatTime(u.last_login)}</td>
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
            Previous page
          </button>
          <button
            type="button"
            className="button small"
            disabled={!users.data?.next}
            onClick={() => {
              const next = users.data?.next ?? null;
              setPrevious((p) => [...p, query.cursor]);
              setQuery((q) => ({ ...q, cursor: next }));
            }}
          >
            Next page
          </button>
        </div>
      </AdminQueryState>
    </Page>
  );
}
