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
];
const STAGES = [...LOGIN_STAGES, "password_reset_by_code", "provider_signup"];
export function isLoginStage(id) {
    return LOGIN_STAGES.includes(id);
}
/**
 * The flow waiting for the user, if any: a login stage first (a login in
 * progress outranks a reset by code in the same session), then any other
 * flow with `is_pending: true`.
 */
export function pendingFlow(flows) {
    return flows.find((f) => f.is_pending === true && isLoginStage(f.id)) ?? flows.find((f) => f.is_pending === true);
}
/** Whether the flows offer `id` (e.g. "signup" when signup is open). */
export function hasFlow(flows, id) {
    return flows.some((f) => f.id === id);
}
/** Whether `id` is waiting for the user in this state. */
export function isPending(state, id) {
    if (!state || state.status === "authenticated")
        return false;
    return state.flows.some((f) => f.id === id && f.is_pending === true);
}
export function nextStep(state) {
    switch (state.status) {
        case "authenticated":
            return { step: "authenticated" };
        case "reauthentication_required":
            return { step: "reauthenticate", flows: state.flows };
        case "unauthenticated": {
            const flow = pendingFlow(state.flows);
            if (!flow)
                return { step: "login" };
            if (STAGES.includes(flow.id))
                return { step: flow.id, flow };
            return { step: "unknown", flow };
        }
    }
}
/**
 * The pages of Latch's web app for each step. Another app passes its own
 * table to stepPath.
 */
export const DEFAULT_STEP_PATHS = {
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
export function stepPath(step, paths = DEFAULT_STEP_PATHS) {
    const s = "step" in step ? step : nextStep(step);
    return paths[s.step];
}
