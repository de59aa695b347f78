import { useQuery } from "@tanstack/react-query";
import { Link } from "wouter";
import type { AuthenticationMethod } from "@latchauth/client";
import { api, keys, useAuth, useConfig } from "../../app/latch";
import { Notice, Page, Time } from "../../components/ui";
import { useBrand } from "../../app/brand";

function methodText(m: AuthenticationMethod): string {
  switch (m.method) {
    case "password":
      return m.reauthenticated ? "confirmed your password" : `password${m.email ? ` (${m.email})` : m.username ? ` (${m.username})` : ""}`;
    case "code":
      return `emailed code${m.email ? ` (${m.email})` : ""}`;
    case "password_reset":
      return "password reset";
    default:
      return m.method;
  }
}

export function HomePage() {
  const auth = useAuth();
  const { accountDeletion } = useBrand();
  const mfa = useConfig().data?.mfa?.supported_types.includes("totp") ?? false;
  const emails = useQuery({ queryKey: keys.emails, queryFn: api.listEmailAddresses });
  if (auth.status === "unauthenticated") return null;
  const { user, methods } = auth;
  const last = methods[methods.length - 1];
  const unverified = emails.data?.filter((e) => !e.verified) ?? [];
  const primary = emails.data?.find((e) => e.primary);
  return (
    <Page title="Your account" wide>
      <p className="lead">
        Signed in as <strong>{user.display}</strong>.
      </p>
      {unverified.length > 0 ? (
        <Notice kind="warning">
          <p>
            {unverified.length === 1 ? `${unverified[0]?.email} is not confirmed yet.` : `${unverified.length} email addresses are not confirmed yet.`}{" "}
            <Link href="/account/email">Confirm it on the email page</Link>
          </p>
        </Notice>
      ) : null}
      <section aria-labelledby="details-heading" className="card">
        <h2 id="details-heading">Details</h2>
        <dl className="details">
          <div>
            <dt>Email</dt>
            <dd>
              {user.email ?? "None"}
              {primary ? (
                primary.verified ? (
                  <span className="badge badge-ok">Confirmed</span>
                ) : (
                  <span className="badge badge-warn">Not confirmed</span>
                )
              ) : null}
            </dd>
          </div>
          {user.username ? (
            <div>
              <dt>Username</dt>
              <dd>{user.username}</dd>
            </div>
          ) : null}
          <div>
            <dt>Password</dt>
            <dd>{user.has_usable_password ? "Set" : "Not set"}</dd>
          </div>
          {last ? (
            <div>
              <dt>This session</dt>
              <dd>
                Signed in with {methodText(last)}, <Time at={last.at} />
              </dd>
            </div>
          ) : null}
          <div>
            <dt>Account ID</dt>
            <dd>
              <code>{user.id}</code>
            </dd>
          </div>
        </dl>
      </section>
      <ul className="tiles">
        <li>
          <Link href="/account/email">
            <strong>Email addresses</strong>
            <span>Add, confirm, choose the primary one</span>
          </Link>
        </li>
        <li>
          <Link href="/account/password/change">
            <strong>Password</strong>
            <span>{user.has_usable_password ? "Change your password" : "Set a password"}</span>
          </Link>
        </li>
        <li>
          <Link href="/account/sessions">
            <strong>Sessions</strong>
            <span>Where you are signed in</span>
          </Link>
        </li>
        {mfa ? (
          <li>
            <Link href="/account/2fa">
              <strong>Two-factor authentication</strong>
              <span>An authenticator app, recovery codes</span>
            </Link>
          </li>
        ) : null}
        <li>
          <Link href="/account/profile">
            <strong>Profile</strong>
            <span>Your name and username</span>
          </Link>
        </li>
      </ul>
      {accountDeletion ? (
        <p className="danger-link">
          <Link href="/account/delete">Delete your account</Link>
        </p>
      ) : null}
    </Page>
  );
}
