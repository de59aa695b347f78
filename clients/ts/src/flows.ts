import type { AuthState, Flow } from "./types.js";

/**
 * The stages a login can wait at, in allauth's order (at most one is
 * pending at a time). Latch uses `login_by_code` and `verify_email` today.
 */
export const LOGIN_STAGES = [
  "login_by_code",
  "verify_phone",
  "verify_email",
  "mfa_authenticate",
  "mfa_trust",
  "mfa_signup_webauthn",
] as const;
export type LoginStage = (typeof LOGIN_STAGES)[number];

/** Everything a pending flow can ask the user to do next. */
export type Stage = LoginStage | "password_reset_by_code" | "provider_signup";
const STAGES: readonly string[] = [...LOGIN_STAGES, "password_reset_by_code", "provider_signup"];

/**
 * What to show next, derived from an AuthState:
 * - `authenticated`: the user is logged in;
 * - `login`: nothing is in progress (start over: login, signup, …);
 * - a Stage: a flow waits for the user (enter the mailed code, …), `flow`
 *   is its entry (e.g. with the MFA `types`);
 * - `reauthenticate`: logged in, but a sensitive action asks to confirm
 *   the password again (`flows` lists the ways);
 * - `unknown`: a pending flow this client does not know (a newer server).
 */
export type NextStep =
  | { step: "authenticated" }
  | { step: "login" }
  | { step: "reauthenticate"; flows: Flow[] }
  | { step: Stage; flow: Flow }
  | { step: "unknown"; flow: Flow };

export type StepName = NextStep["step"];

export function isLoginStage(id: string): id is LoginStage {
  return (LOGIN_STAGES as readonly string[]).includes(id);
}

/**
 * The flow waiting for the user, if any: a login stage first (a login in
 * progress outranks a reset by code in the same session), then any other
 * flow with `is_pending: true`.
 */
export function pendingFlow(flows: readonly Flow[]): Flow | undefined {
  return flows.find((f) => f.is_pending === true && isLoginStage(f.id)) ?? flows.find((f) => f.is_pending === true);
}

/** Whether the flows offer `id` (e.g. "signup" when signup is open). */
export function hasFlow(flows: readonly Flow[], id: string): boolean {
  return flows.some((f) => f.id === id);
}

/** Whether `id` is waiting for the user in this state. */
export function isPending(state: AuthState | undefined, id: string): boolean {
  if (!state || state.status === "authenticated") return false;
  return state.flows.some((f) => f.id === id && f.is_pending === true);
}

export function nextStep(state: AuthState): NextStep {
  switch (state.status) {
    case "authenticated":
      return { step: "authenticated" };
    case "reauthentication_required":
      return { step: "reauthenticate", flows: state.flows };
    case "unauthenticated": {
      const flow = pendingFlow(state.flows);
      if (!flow) return { step: "login" };
      if (STAGES.includes(flow.id)) return { step: flow.id as Stage, flow };
      return { step: "unknown", flow };
    }
  }
}

export type StepPaths = Record<StepName, string>;

/**
 * The pages of Latch's web app for each step. Another app passes its own
 * table to stepPath.
 */
export const DEFAULT_STEP_PATHS: StepPaths = {
  authenticated: "/account",
  login: "/account/login",
  reauthenticate: "/account/reauthenticate",
  login_by_code: "/account/login/code/confirm",
  verify_email: "/account/verify-email",
  password_reset_by_code: "/account/password/reset/code",
  verify_phone: "/account/verify-phone",
  mfa_authenticate: "/account/2fa/authenticate",
  mfa_trust: "/account/2fa/trust",
  mfa_signup_webauthn: "/account/signup/passkey",
  provider_signup: "/account/provider/signup",
  unknown: "/account/login",
};

/** The page for a step (or straight from an AuthState). */
export function stepPath(step: NextStep | AuthState, paths: StepPaths = DEFAULT_STEP_PATHS): string {
  const s = "step" in step ? step : nextStep(step);
  return paths[s.step];
}
