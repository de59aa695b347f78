import { Suspense, useEffect, useRef, type ReactNode } from "react";
import { Link, Redirect, Route, Switch, useLocation } from "wouter";
import { useLogout } from "./useLogout";
import { NotFoundPage } from "../pages/misc/NotFoundPage";
import { ErrorPanel, Loading } from "../components/ui";
import { applyAccent, useBrand } from "./brand";
import { useSignedOutElsewhere } from "./signedOut";
import { clearFlash, useFlash } from "./flash";
import { useAuth, useConfig, useSession } from "./latch";
import { routes, type Access } from "./routes";
import { useIsStaff } from "../pages/admin/adminApi";

/** Renders a page only for the visitors its access admits. */
function Guard({ access, children }: { access: Access; children: ReactNode }) {
  const auth = useAuth();
  const [location] = useLocation();
  const signedIn = auth.status !== "unauthenticated";
  if (access === "authenticated" && !signedIn) {
    return <Redirect to={`/account/login?next=${encodeURIComponent(location)}`} replace />;
  }
  if (access === "anonymous" && signedIn) return <Redirect to="/account" replace />;
  return <>{children}</>;
}

function NavLink({ href, children }: { href: string; children: ReactNode }) {
  const [location] = useLocation();
  const current = location === href;
  return (
    <Link href={href} aria-current={current ? "page" : undefined} className={current ? "nav-link active" : "nav-link"}>
      {children}
    </Link>
  );
}

/** The site's name with the operator's logo (or a plain mark). */
function Brand() {
  const { siteName, logoUrl } = useBrand();
  return (
    <>
      {logoUrl ? <img className="brand-logo" src={logoUrl} alt="" /> : <span className="brand-mark" aria-hidden="true" />}
      <span className="brand-name">{siteName}</span>
    </>
  );
}

function Header() {
  const auth = useAuth();
  const config = useConfig();
  const logout = useLogout();
  const signedIn = auth.status !== "unauthenticated";
  const signupOpen = config.data?.account.is_open_for_signup ?? false;
  const staff = useIsStaff(auth.status === "authenticated") ?? false;
  const links = routes.filter(
    (r) =>
      r.nav &&
      r.nav.when === (signedIn ? "authenticated" : "anonymous") &&
      (r.nav.needs !== "signup" || signupOpen) &&
      (r.nav.needs !== "staff" || staff),
  );
  return (
    <header className="site-header">
      <div className="site-header-inner">
        <Link href="/" className="brand">
          <Brand />
        </Link>
        <nav aria-label="Account" className="site-nav">
          <ul className="nav">
            {links.map((r) => (
              <li key={r.path}>
                <NavLink href={r.path}>{r.nav?.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        {signedIn ? (
          <div className="header-actions">
            <button type="button" className="nav-link nav-button" onClick={() => logout.mutate()} disabled={logout.isPending}>
              {logout.isPending ? "Signing out…" : "Sign out"}
            </button>
          </div>
        ) : null}
      </div>
    </header>
  );
}

/** After each navigation: focus the new page's heading, drop stale messages. */
function useNavigationFocus() {
  const [location] = useLocation();
  const first = useRef(true);
  const flash = useFlash(location);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const heading = document.querySelector<HTMLElement>("main h1");
    (heading ?? document.getElementById("main"))?.focus();
    window.scrollTo(0, 0);
  }, [location]);
  // Moving on drops a message meant for another page; the first render
  // does not (a message set while the app was still loading, e.g. the
  // sign-out explanation, waits for the redirect to its page).
  const shownAt = useRef(location);
  useEffect(() => {
    if (shownAt.current === location) return;
    shownAt.current = location;
    if (flash === null) clearFlash();
  }, [location, flash]);
}

function Pages() {
  useNavigationFocus();
  return (
    <Switch>
      {routes.map((r) => (
        <Route key={r.path} path={r.path}>
          <Guard access={r.access}>
            <Suspense
              fallback={
                <div className="page">
                  <Loading />
                </div>
              }
            >
              <r.component />
            </Suspense>
          </Guard>
        </Route>
      ))}
      <Route>
        <NotFoundPage />
      </Route>
    </Switch>
  );
}

export function App() {
  const config = useConfig();
  const session = useSession();
  const { color } = useBrand();
  useSignedOutElsewhere(session.data);
  useEffect(() => applyAccent(color), [color]);
  let body: ReactNode;
  if (config.data && session.data) {
    body = <Pages />;
  } else if (config.isError || session.isError) {
    body = (
      <div className="page">
        <h1 tabIndex={-1}>Can’t load your account</h1>
        <ErrorPanel
          error={config.error ?? session.error}
          retry={() => {
            void config.refetch();
            void session.refetch();
          }}
        />
      </div>
    );
  } else {
    body = (
      <div className="page">
        <Loading />
      </div>
    );
  }
  const ready = Boolean(config.data && session.data);
  return (
    <>
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById("main")?.focus();
        }}
      >
        Skip to content
      </a>
      {ready ? (
        <Header />
      ) : (
        <header className="site-header">
          <div className="site-header-inner">
            <span className="brand">
              <Brand />
            </span>
          </div>
        </header>
      )}
      <main id="main" tabIndex={-1}>
        {body}
      </main>
    </>
  );
}
