// @vitest-environment happy-dom
import { ApiError, type AuthState } from "@latchauth/client";
import { cleanup, render } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { confirmationFor } from "../pages/delete/DeleteAccountPage";
import { loginError } from "../pages/login/LoginPage";
import { changedFields } from "../pages/profile/ProfilePage";
import { applyAccent, brandOf, duration, textOn } from "./brand";
import { clearFlash, useFlash } from "./flash";
import { forgetSignedIn, SIGNED_OUT_ELSEWHERE, useSignedOutElsewhere } from "./signedOut";

afterEach(() => {
  cleanup();
  clearFlash();
  localStorage.clear();
});

const user = { id: "u", display: "ann", has_usable_password: true };
const signedIn: AuthState = { status: "authenticated", user, methods: [] };
const signedOut: AuthState = { status: "unauthenticated", flows: [{ id: "login" }] };

function Watch({ auth }: { auth: AuthState }) {
  useSignedOutElsewhere(auth);
  const flash = useFlash("/account/login");
  return <p>{flash}</p>;
}

describe("useSignedOutElsewhere", () => {
  it("explains a sign-out found after being signed in", () => {
    const { rerender, container } = render(<Watch auth={signedIn} />);
    expect(container.textContent).toBe("");
    rerender(<Watch auth={signedOut} />);
    expect(container.textContent).toBe(SIGNED_OUT_ELSEWHERE);
  });

  it("explains it again after a reload, until a sign-in", () => {
    const first = render(<Watch auth={signedIn} />);
    first.rerender(<Watch auth={signedOut} />);
    cleanup();
    clearFlash();
    const reloaded = render(<Watch auth={signedOut} />);
    expect(reloaded.container.textContent).toBe(SIGNED_OUT_ELSEWHERE);
    reloaded.rerender(<Watch auth={signedIn} />);
    cleanup();
    clearFlash();
    expect(render(<Watch auth={signedOut} />).container.textContent).toBe(SIGNED_OUT_ELSEWHERE);
  });

  it("says nothing after a sign-out in this browser, or to a first visit", () => {
    const { rerender, container } = render(<Watch auth={signedIn} />);
    forgetSignedIn();
    rerender(<Watch auth={signedOut} />);
    expect(container.textContent).toBe("");
    cleanup();
    expect(render(<Watch auth={signedOut} />).container.textContent).toBe("");
  });
});

describe("loginError", () => {
  const mismatch = (code: string) =>
    new ApiError({ status: 400, errors: [{ code, param: "password", message: "The email address and/or password you specified are not correct." }] });
  it("words a wrong password by what was typed", () => {
    const byName = loginError(mismatch("username_password_mismatch"), { username: "ann", password: "x" }, ["email", "username"]);
    expect((byName as ApiError).fieldErrors.password).toEqual(["The username or the password is not correct."]);
    const byMail = loginError(mismatch("email_password_mismatch"), { email: "a@b.c", password: "x" }, ["email", "username"]);
    expect((byMail as ApiError).fieldErrors.password).toEqual(["The email address or the password is not correct."]);
  });
  it("says when a username was typed where only addresses sign in", () => {
    const e = loginError(mismatch("email_password_mismatch"), { email: "ann", password: "x" }, ["email"]);
    expect((e as ApiError).fieldErrors.password?.[0]).toContain("“ann” is not an email address");
  });
  it("leaves other errors alone", () => {
    const other = new ApiError({ status: 429, retryAfter: 5 });
    expect(loginError(other, { email: "a@b.c", password: "x" }, ["email"])).toBe(other);
  });
});

describe("branding", () => {
  it("takes data.latch, else the defaults", () => {
    const latch = {
      site_name: "Acme",
      brand: { logo_url: "/_latch/brand/logo", color: "#ff0000" },
      account_deletion: true,
      lifetimes: { login_code: 300, email_verification_code: 900, password_reset_code: 180, email_verification_link: 86400, password_reset_link: 3600, session: 60 },
    };
    const b = brandOf({ account: {} as never, latch });
    expect(b).toMatchObject({ siteName: "Acme", logoUrl: "/_latch/brand/logo", color: "#ff0000", accountDeletion: true });
    expect(b.lifetimes.login_code).toBe(300);
    const d = brandOf(undefined);
    expect(d).toMatchObject({ siteName: "Latch", logoUrl: null, color: null, accountDeletion: false });
    expect(brandOf({ account: {} as never, latch: { ...latch, brand: { logo_url: null, color: "red;x" } } }).color).toBeNull();
  });
  it("sets the accent variables with a readable text colour", () => {
    applyAccent("#ffeb3b");
    const root = document.documentElement;
    expect(root.style.getPropertyValue("--brand")).toBe("#ffeb3b");
    expect(root.style.getPropertyValue("--brand-text")).toBe("#111111");
    expect(root.hasAttribute("data-brand")).toBe(true);
    expect(textOn("#2f5d50")).toBe("#ffffff");
    applyAccent("#2F5D50"); // the stylesheet's own, with its dark variant
    expect(root.hasAttribute("data-brand")).toBe(false);
    expect(root.style.getPropertyValue("--brand")).toBe("");
  });
  it("words lifetimes", () => {
    expect([duration(180), duration(3600), duration(259200), duration(90), duration(86400)]).toEqual([
      "3 minutes",
      "1 hour",
      "3 days",
      "90 seconds",
      "1 day",
    ]);
  });
});

describe("profile and deletion", () => {
  it("sends only the changed profile fields", () => {
    expect(changedFields({ username: " ann ", first_name: "Ann", last_name: "" }, { username: "ann", first_name: "", last_name: "" })).toEqual({
      first_name: "Ann",
    });
  });
  it("asks for the password, or a second factor without one", () => {
    expect(confirmationFor(signedOut)).toBe("done");
    const reauth = (ids: string[]): AuthState => ({ status: "reauthentication_required", user, methods: [], flows: ids.map((id) => ({ id })) });
    expect(confirmationFor(reauth(["reauthenticate", "mfa_reauthenticate"]))).toBe("password");
    expect(confirmationFor(reauth(["mfa_reauthenticate"]))).toBe("mfa");
  });
});
