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

/** Watches the session: marks a signed-in browser, explains a sign-out found later. */
export function useSignedOutElsewhere(auth: AuthState | undefined): void {
  const status = auth?.status;
  useEffect(() => {
    const s = storage();
    if (!s || status === undefined) return;
    if (status !== "unauthenticated") {
      s.setItem(MARK, "1");
    } else if (s.getItem(MARK) !== null) {
      s.removeItem(MARK);
      setFlash(SIGNED_OUT_ELSEWHERE, "/account/login");
    }
  }, [status]);
}
