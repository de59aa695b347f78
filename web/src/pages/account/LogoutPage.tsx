import { Link } from "wouter";
import { useAuth } from "../../app/latch";
import { Notice, Page } from "../../components/ui";
import { useLogout } from "../../app/useLogout";

export function LogoutPage() {
  const auth = useAuth();
  const logout = useLogout();
  return (
    <Page title="Sign out">
      <p>{auth.status !== "unauthenticated" ? <>You are signed in as <strong>{auth.user.display}</strong>.</> : "You are not signed in."}</p>
      {logout.isError ? (
        <Notice kind="error">
          <p>{(logout.error as Error).message}</p>
        </Notice>
      ) : null}
      <div className="form-actions">
        <button type="button" className="button primary" onClick={() => logout.mutate()} disabled={logout.isPending}>
          {logout.isPending ? "Signing out…" : "Sign out"}
        </button>
        <Link href="/account">Cancel</Link>
      </div>
    </Page>
  );
}
