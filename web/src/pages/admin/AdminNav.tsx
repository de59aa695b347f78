import "./admin.css";
import { Link } from "wouter";
import type { ReactNode } from "react";
import { ErrorPanel, Loading, Notice } from "../../components/ui";
import { isForbidden } from "./adminApi";

/** The admin pages' own links. */
export function AdminNav() {
  return (
    <nav aria-label="Admin" className="admin-nav">
      <Link href="/account/admin/users">Users</Link> · <Link href="/account/admin/audit">Audit log</Link>
    </nav>
  );
}

/** A query's loading, "not staff" (403) and error states, or its content. */
export function AdminQueryState({
  isPending,
  error,
  retry,
  children,
}: {
  isPending: boolean;
  error: unknown;
  retry: () => void;
  children: ReactNode;
}) {
  if (error) {
    if (isForbidden(error)) return <Notice kind="warning">These pages are for staff only.</Notice>;
    return <ErrorPanel error={error} retry={retry} />;
  }
  if (isPending) return <Loading />;
  return <>{children}</>;
}
