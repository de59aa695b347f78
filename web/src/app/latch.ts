// The app's wiring of the API client into TanStack Query: one client, the
// query keys, and the hooks pages use.

import { useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { useLocation } from "wouter";
import {
  ApiError,
  createLatchClient,
  DEFAULT_STEP_PATHS,
  nextStep,
  type AccountConfiguration,
  type AuthState,
  type StepPaths,
} from "@latchauth/client";
import { setFlash } from "./flash";

export const api = createLatchClient({ baseUrl: import.meta.env.VITE_LATCH_URL });

if (import.meta.env.DEV && import.meta.env.VITE_LATCH_URL) {
  // Cookies belong to a host: a page on another host can neither read
  // Latch's csrftoken cookie nor get its SameSite=Lax session cookie sent.
  const latchHost = new URL(import.meta.env.VITE_LATCH_URL, window.location.href).hostname;
  if (latchHost !== window.location.hostname) {
    console.warn(
      `Latch is at ${latchHost} but this page is at ${window.location.hostname}: sign-in will fail. ` +
        `Open the page at http://${latchHost}:${window.location.port} instead (see web/README.md).`,
    );
  }
}

export const keys = {
  config: ["latch", "config"] as const,
  session: ["latch", "session"] as const,
  /** Everything that belongs to the logged-in account. */
  account: ["latch", "account"] as const,
  emails: ["latch", "account", "emails"] as const,
  sessions: ["latch", "account", "sessions"] as const,
  profile: ["latch", "account", "profile"] as const,
};

/** Where this app shows each step. Stages it does not implement yet land on /account/continue. */
export const STEP_PATHS: StepPaths = {
  ...DEFAULT_STEP_PATHS,
  verify_phone: "/account/continue",
  mfa_signup_webauthn: "/account/continue",
  unknown: "/account/continue",
};

export function useConfig() {
  return useQuery({ queryKey: keys.config, queryFn: api.getConfig, staleTime: Infinity, gcTime: Infinity });
}

export function useSession() {
  return useQuery({ queryKey: keys.session, queryFn: api.getSession, staleTime: 30_000 });
}

/** Records a new AuthState: the session query takes it, and everything is refetched. */
export function storeAuth(qc: QueryClient, state: AuthState): void {
  qc.setQueryData(keys.session, state);
  if (state.status !== "authenticated") qc.removeQueries({ queryKey: keys.account });
  void qc.invalidateQueries({ queryKey: keys.session });
  void qc.invalidateQueries({ queryKey: keys.account });
}

/**
 * After an auth mutation: store the new state, then go where it leads (or
 * to `to`), optionally with a message for the next page. The cache is
 * written before navigating, so the next page reads the new state at once.
 */
export function useFinishAuth() {
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  return useCallback(
    (state: AuthState, opts: { to?: string | undefined; flash?: string | undefined } = {}) => {
      storeAuth(qc, state);
      const to = opts.to ?? STEP_PATHS[nextStep(state).step];
      if (opts.flash) setFlash(opts.flash, to);
      navigate(to);
    },
    [qc, navigate],
  );
}

/** Keeps the session query right when any request finds the caller logged out. */
export function handleGlobalError(qc: QueryClient, error: unknown): void {
  if (error instanceof ApiError && error.status === 401 && error.auth) {
    const current = qc.getQueryData<AuthState>(keys.session);
    if (current?.status === "authenticated") storeAuth(qc, error.auth);
  }
}

/** A same-site path from a `next` parameter, or the fallback (no open redirects). */
export function safeNext(next: string | null | undefined, fallback = "/account"): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return fallback;
  return next;
}

/** The session state; the app renders pages only once it is loaded. */
export function useAuth(): AuthState {
  const { data } = useSession();
  if (!data) throw new Error("the session is not loaded yet");
  return data;
}

/** The server's account configuration; loaded before any page renders. */
export function useAccountConfig(): AccountConfiguration {
  const { data } = useConfig();
  if (!data) throw new Error("the configuration is not loaded yet");
  return data.account;
}
