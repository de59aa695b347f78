// Explains a sign-out that did not happen here: this browser was signed in
// (remembered in localStorage) and now finds itself signed out — a
// password change or "sign out other sessions" on another device, an
// admin, or the session's expiry. A sign-out or deletion in this browser
// forgets the mark first, so it is not explained as one from elsewhere.

import { useEffect } from "react";
import type { AuthState } from "@latchauth/client";
import { setFlash } from "./flash";

const MARK = "latch.signedIn";

export const SIGNED_OUT_ELSEWHERE =
  "You were signed out: your session expired, was ended from another device, or your password was changed. Sign in again to continue.";

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** A sign-out (or deletion) started in this browser: nothing to explain. */
export function forgetSignedIn(): void {
  storage()?.removeItem(MARK);
}

/** How long after it was found a sign-out is still explained (a reload, another tab). */
const EXPLAIN_FOR = 10 * 60 * 1000;

/**
 * Watches the session: marks a signed-in browser ("in"), and when it finds
 * the browser signed out with the mark set, explains it on the sign-in page
 * — again after a reload for a few minutes ("out:<time>"), since the
 * sign-out may be found by a background refresh just before one.
 */
export function useSignedOutElsewhere(auth: AuthState | undefined): void {
  const status = auth?.status;
  useEffect(() => {
    const s = storage();
    if (!s || status === undefined) return;
    const mark = s.getItem(MARK);
    if (status !== "unauthenticated") {
      s.setItem(MARK, "in");
      return;
    }
    if (mark === null) return;
    const now = Date.now();
    const since = mark.startsWith("out:") ? Number(mark.slice(4)) : now;
    if (!(now - since < EXPLAIN_FOR)) {
      s.removeItem(MARK);
      return;
    }
    s.setItem(MARK, `out:${since}`);
    setFlash(SIGNED_OUT_ELSEWHERE, "/account/login");
  }, [status]);
}
