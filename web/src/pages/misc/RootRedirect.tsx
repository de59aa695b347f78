import { Redirect } from "wouter";
import { nextStep } from "@latchauth/client";
import { STEP_PATHS, useAuth } from "../../app/latch";

/** `/`: the account when signed in, the step in progress, or sign-in. */
export function RootRedirect() {
  const auth = useAuth();
  return <Redirect to={STEP_PATHS[nextStep(auth).step]} replace />;
}
