import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useLocation, useSearch } from "wouter";
import { nextStep } from "@latchauth/client";
import { api, STEP_PATHS, storeAuth } from "../../app/latch";
import { ErrorPanel, Loading, Notice, Page } from "../../components/ui";

/** allauth's `error` values of a provider login, in words. */
const PROVIDER_ERRORS: Record<string, string> = {
  cancelled: "The sign-in was cancelled at the provider.",
  denied: "The provider refused the sign-in.",
  signup_closed: "New accounts cannot be created here at the moment.",
  connected_other: "That provider account is already connected to a different account here.",
  reauthentication_required: "Please sign in again, then retry.",
  permission_denied: "You are not allowed to sign in this way.",
  unknown: "The sign-in with the provider did not work (it may have taken too long, or been started in another browser). Please try again.",
};

/** Where a provider login or connect lands: an error in words, or on to the next step. */
export function ProviderCallbackPage() {
  const params = new URLSearchParams(useSearch());
  const error = params.get("error");
  const connect = (params.get("error_process") ?? params.get("process")) === "connect";
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const [failed, setFailed] = useState<unknown>(null);
  useEffect(() => {
    if (error) return;
    let live = true;
    api.getSession().then(
      (state) => {
        if (!live) return;
        storeAuth(qc, state);
        navigate(connect && state.status === "authenticated" ? "/account/providers" : STEP_PATHS[nextStep(state).step]);
      },
      (e: unknown) => live && setFailed(e),
    );
    return () => {
      live = false;
    };
  }, [error, connect, qc, navigate]);
  if (failed) return <Page title="Signing in">{<ErrorPanel error={failed} />}</Page>;
  if (!error) return <Loading label="Signing you in…" />;
  return (
    <Page title={connect ? "Could not connect" : "Could not sign in"}>
      <Notice kind="error">{PROVIDER_ERRORS[error] ?? PROVIDER_ERRORS.unknown}</Notice>
      <p>{connect ? <Link href="/account/providers">Back to connected accounts</Link> : <Link href="/account/login">Back to sign in</Link>}</p>
    </Page>
  );
}
