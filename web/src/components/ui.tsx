import { useEffect, useRef, type ReactNode } from "react";
import { useLocation } from "wouter";
import { ApiError } from "@latchauth/client";
import { useBrand } from "../app/brand";
import { useFlash } from "../app/flash";
import { useNow } from "./useNow";

/** A page: its heading (focused after navigation), title, and flash message. */
export function Page({
  title,
  children,
  wide = false,
  lead,
}: {
  title: string;
  children?: ReactNode;
  wide?: boolean;
  lead?: ReactNode;
}) {
  const [location] = useLocation();
  const flash = useFlash(location);
  const heading = useRef<HTMLHeadingElement>(null);
  const shownTitle = useRef(title);
  const { siteName } = useBrand();
  useEffect(() => {
    document.title = `${title} · ${siteName}`;
    // The page turned into another one in place (e.g. "Check your email"
    // after a form): move focus to its heading, as a navigation would.
    if (shownTitle.current !== title) {
      shownTitle.current = title;
      heading.current?.focus();
    }
  }, [title, siteName]);
  return (
    <div className={wide ? "page page-wide" : "page"}>
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {flash ? (
        <div className="notice notice-success" role="status">
          {flash}
        </div>
      ) : null}
      {lead ? <p className="lead">{lead}</p> : null}
      {children}
    </div>
  );
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

/** A request that failed outside a form, with a way to try again. */
export function ErrorPanel({ error, retry }: { error: unknown; retry?: () => void }) {
  const message = error instanceof ApiError || error instanceof Error ? error.message : "Something went wrong.";
  return (
    <div className="notice notice-error" role="alert">
      <p>{message}</p>
      {retry ? (
        <button type="button" className="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Notice({ kind = "info", children }: { kind?: "info" | "success" | "warning" | "error"; children: ReactNode }) {
  return (
    <div className={`notice notice-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
/** The full time with the zone it is in, e.g. "3 Dec 2026, 10:42 CET". */
const zonedFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "numeric",
  minute: "2-digit",
  timeZoneName: "short",
});
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** An epoch-seconds timestamp as a <time>, e.g. "3 minutes ago". */
export function Time({ at }: { at: number }) {
  const now = useNow();
  const d = new Date(at * 1000);
  return (
    <time dateTime={d.toISOString()} title={zonedFormat.format(d)}>
      {ago(d.getTime(), now)}
    </time>
  );
}

export function ago(ms: number, now: number): string {
  const secs = Math.round((ms - now) / 1000);
  const abs = Math.abs(secs);
  if (abs < 60) return "just now";
  if (abs < 3600) return relative.format(Math.round(secs / 60), "minute");
  if (abs < 86400) return relative.format(Math.round(secs / 3600), "hour");
  if (abs < 30 * 86400) return relative.format(Math.round(secs / 86400), "day");
  return dateFormat.format(new Date(ms));
}
