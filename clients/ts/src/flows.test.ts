import { describe, expect, it } from "vitest";
import { DEFAULT_STEP_PATHS, hasFlow, isPending, nextStep, pendingFlow, stepPath } from "./flows.js";
import type { AuthState, Flow } from "./types.js";

const base: Flow[] = [{ id: "login" }, { id: "login_by_code" }, { id: "signup" }];
const anon = (flows: Flow[]): AuthState => ({ status: "unauthenticated", flows });
const user = { id: "u", display: "u", has_usable_password: true };

describe("nextStep", () => {
  it("is authenticated for a logged-in session", () => {
    expect(nextStep({ status: "authenticated", user, methods: [] })).toEqual({ step: "authenticated" });
  });
  it("is login when nothing is pending", () => {
    expect(nextStep(anon(base))).toEqual({ step: "login" });
    // password_reset_by_code always carries is_pending, false when idle.
    expect(nextStep(anon([...base, { id: "password_reset_by_code", is_pending: false }]))).toEqual({ step: "login" });
  });
  it("follows verify_email pending (signup or login under mandatory verification)", () => {
    const flow = { id: "verify_email", is_pending: true };
    expect(nextStep(anon([...base, flow]))).toEqual({ step: "verify_email", flow });
  });
  it("follows login_by_code, marked in place in the list", () => {
    const flows = [{ id: "login" }, { id: "login_by_code", is_pending: true }, { id: "signup" }];
    expect(nextStep(anon(flows)).step).toBe("login_by_code");
  });
  it("follows password_reset_by_code when it is pending", () => {
    expect(nextStep(anon([...base, { id: "password_reset_by_code", is_pending: true }])).step).toBe("password_reset_by_code");
  });
  it("prefers a login stage to a reset in the same session", () => {
    const flows = [...base, { id: "verify_email", is_pending: true }, { id: "password_reset_by_code", is_pending: true }];
    expect(nextStep(anon(flows)).step).toBe("verify_email");
  });
  it("knows allauth's other stages, with their details", () => {
    const flow = { id: "mfa_authenticate", is_pending: true, types: ["totp"] };
    expect(nextStep(anon([...base, flow]))).toEqual({ step: "mfa_authenticate", flow });
  });
  it("reports pending flows it does not know", () => {
    const flow = { id: "something_new", is_pending: true };
    expect(nextStep(anon([...base, flow]))).toEqual({ step: "unknown", flow });
  });
  it("asks for reauthentication on a 401 of a logged-in session", () => {
    const flows = [{ id: "reauthenticate" }];
    expect(nextStep({ status: "reauthentication_required", user, methods: [], flows })).toEqual({ step: "reauthenticate", flows });
  });
});

describe("stepPath", () => {
  it("maps each step to Latch's pages", () => {
    expect(stepPath({ status: "authenticated", user, methods: [] })).toBe("/account");
    expect(stepPath(anon(base))).toBe("/account/login");
    expect(stepPath(anon([...base, { id: "verify_email", is_pending: true }]))).toBe("/account/verify-email");
    expect(stepPath(anon([{ id: "login" }, { id: "login_by_code", is_pending: true }]))).toBe("/account/login/code/confirm");
    expect(stepPath(anon([...base, { id: "password_reset_by_code", is_pending: true }]))).toBe("/account/password/reset/code");
  });
  it("takes another app's table", () => {
    const paths = { ...DEFAULT_STEP_PATHS, verify_email: "/verify" };
    expect(stepPath({ step: "verify_email", flow: { id: "verify_email", is_pending: true } }, paths)).toBe("/verify");
  });
  it("has a page for every step", () => {
    for (const path of Object.values(DEFAULT_STEP_PATHS)) expect(path).toMatch(/^\//);
  });
});

describe("helpers", () => {
  it("pendingFlow finds the pending entry", () => {
    expect(pendingFlow(base)).toBeUndefined();
    expect(pendingFlow([...base, { id: "verify_email", is_pending: true }])?.id).toBe("verify_email");
  });
  it("hasFlow tells what is offered", () => {
    expect(hasFlow(base, "signup")).toBe(true);
    expect(hasFlow([{ id: "login" }], "signup")).toBe(false);
  });
  it("isPending checks one flow", () => {
    expect(isPending(anon([...base, { id: "verify_email", is_pending: true }]), "verify_email")).toBe(true);
    expect(isPending(anon(base), "login_by_code")).toBe(false);
    expect(isPending({ status: "authenticated", user, methods: [] }, "verify_email")).toBe(false);
    expect(isPending(undefined, "verify_email")).toBe(false);
  });
});
