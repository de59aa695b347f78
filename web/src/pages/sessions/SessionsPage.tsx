import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { Link } from "wouter";
import type { UserSession } from "@latchauth/client";
import { api, keys, useFinishAuth } from "../../app/latch";
import { forgetSignedIn } from "../../app/signedOut";
import { FormErrors } from "../../components/forms";
import { ErrorPanel, Loading, Page, Time } from "../../components/ui";
import { ApiError } from "@latchauth/client";

/** "Firefox on Linux" from a User-Agent, or the raw string when unknown. */
export function describeUserAgent(ua: string): string {
  if (!ua.trim()) return "Unknown device";
  const browser =
    /Edg(e|A|iOS)?\//.test(ua) ? "Edge"
    : /OPR\/|Opera/.test(ua) ? "Opera"
    : /Firefox\/|FxiOS/.test(ua) ? "Firefox"
    : /Chrome\/|CriOS/.test(ua) ? "Chrome"
    : /Safari\//.test(ua) ? "Safari"
    : /^curl\//.test(ua) ? "curl"
    : null;
  const os =
    /iPhone|iPad|iPod/.test(ua) ? "iOS"
    : /Android/.test(ua) ? "Android"
    : /Windows/.test(ua) ? "Windows"
    : /Mac OS X|Macintosh/.test(ua) ? "macOS"
    : /CrOS/.test(ua) ? "ChromeOS"
    : /Linux/.test(ua) ? "Linux"
    : null;
  if (browser && os) return `${browser} on ${os}`;
  if (browser) return browser;
  return ua.length > 60 ? `${ua.slice(0, 57)}…` : ua;
}

export function SessionsPage() {
  const qc = useQueryClient();
  const finish = useFinishAuth();
  const sessions = useQuery({ queryKey: keys.sessions, queryFn: api.listSessions });
  const [status, setStatus] = useState<string | null>(null);
  const statusRef = useRef<HTMLDivElement>(null);
  const end = useMutation({
    mutationFn: (ids: number[]) => {
      if (list.some((s) => s.is_current && ids.includes(s.id))) forgetSignedIn();
      return api.endSessions(ids);
    },
    onMutate: () => setStatus(null),
    onSuccess: (result, ids) => {
      if (!Array.isArray(result)) {
        finish(result, { to: "/account/login", flash: "You have been signed out." });
        return;
      }
      qc.setQueryData(keys.sessions, result);
      setStatus(ids.length === 1 ? "The session was signed out." : `${ids.length} sessions were signed out.`);
      window.requestAnimationFrame(() => statusRef.current?.focus());
    },
  });

  const list: UserSession[] = sessions.data ?? [];
  const others = list.filter((s) => !s.is_current);

  return (
    <Page title="Sessions" wide lead="Devices and browsers signed in to your account. Sign out of any you don’t recognise, then change your password.">
      <div ref={statusRef} tabIndex={-1} role="status" className={status ? "notice notice-success" : "visually-hidden"}>
        {status}
      </div>
      <FormErrors messages={end.error instanceof ApiError ? end.error.messages : end.error ? ["Something went wrong."] : []} />
      {sessions.isPending ? (
        <Loading label="Loading your sessions…" />
      ) : sessions.isError ? (
        <ErrorPanel error={sessions.error} retry={() => void sessions.refetch()} />
      ) : list.length === 0 ? (
        <p className="empty">No sessions to show.</p>
      ) : (
        <>
          <ul className="rows" aria-label="Your sessions">
            {list.map((s) => (
              <li key={s.id} className={s.is_current ? "row row-current" : "row"}>
                <div className="row-main">
                  <span className="row-title">{describeUserAgent(s.user_agent)}</span>
                  {s.is_current ? <span className="badge badge-primary">This device</span> : null}
                </div>
                <p className="row-meta">
                  {s.ip || "Unknown address"} · signed in <Time at={s.created_at} />
                  {s.last_seen_at !== undefined && !s.is_current ? (
                    <>
                      {" "}
                      · last active <Time at={s.last_seen_at} />
                    </>
                  ) : null}
                </p>
                <div className="row-actions">
                  {s.is_current ? (
                    <Link href="/account/logout" className="button small">
                      Sign out
                    </Link>
                  ) : (
                    <button type="button" className="button small danger" disabled={end.isPending} onClick={() => end.mutate([s.id])}>
                      Sign out<span className="visually-hidden"> {describeUserAgent(s.user_agent)}, {s.ip}</span>
                    </button>
                  )}
                </div>
              </li>
            ))}
          </ul>
          {others.length > 0 ? (
            <div className="form-actions">
              <button type="button" className="button danger" disabled={end.isPending} onClick={() => end.mutate(others.map((s) => s.id))}>
                Sign out all other sessions
              </button>
            </div>
          ) : (
            <p className="empty">You are not signed in anywhere else.</p>
          )}
        </>
      )}
    </Page>
  );
}
