import type { AuthState, Flow } from "./types.js";
/**
 * The stages a login can wait at, in allauth's order (at most one is
 * pending at a time). Latch uses `login_by_code` and `verify_email` today.
 */
export declare const LOGIN_STAGES: readonly ["login_by_code", "verify_phone", "verify_email", "mfa_authenticate", "mfa_trust", "mfa_signup_webauthn"];
export type LoginStage = (typeof LOGIN_STAGES)[number];
/** Everything a pending flow can ask the user to do next. */
export type Stage = LoginStage | "password_reset_by_code" | "provider_signup";
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
export type NextStep = {
    step: "authenticated";
} | {
    step: "login";
} | {
    step: "reauthenticate";
    flows: Flow[];
} | {
    step: Stage;
    flow: Flow;
} | {
    step: "unknown";
    flow: Flow;
};
export type StepName = NextStep["step"];
export declare function isLoginStage(id: string): id is LoginStage;
/**
 * The flow waiting for the user, if any: a login stage first (a login in
 * progress outranks a reset by code in the same session), then any other
 * flow with `is_pending: true`.
 */
export declare function pendingFlow(flows: readonly Flow[]): Flow | undefined;
/** Whether the flows offer `id` (e.g. "signup" when signup is open). */
export declare function hasFlow(flows: readonly Flow[], id: string): boolean;
/** Whether `id` is waiting for the user in this state. */
export declare function isPending(state: AuthState | undefined, id: string): boolean;
export declare function nextStep(state: AuthState): NextStep;
export type StepPaths = Record<StepName, string>;
/**
 * The pages of Latch's web app for each step. Another app passes its own
 * table to stepPath.
 */
export declare const DEFAULT_STEP_PATHS: StepPaths;
/** The page for a step (or straight from an AuthState). */
export declare function stepPath(step: NextStep | AuthState, paths?: StepPaths): string;
