import { describe, expect, it, vi } from "vitest";
import { tryAgainAt, ApiError, parseRetryAfter, splitErrors } from "./errors.js";

const signupErrors = new ApiError({
  status: 400,
  errors: [
    { message: "Enter a valid email address.", code: "invalid", param: "email" },
    { message: "This password is too short. It must contain at least 8 characters.", code: "password_too_short", param: "password" },
    { message: "This password is too common.", code: "password_too_common", param: "password" },
    { message: "Too many failed login attempts. Try again later.", code: "too_many_login_attempts" },
  ],
});

describe("ApiError", () => {
  it("names the time of a long wait, and rewrites the lockout message when Retry-After came", () => {
    const at = Date.UTC(2026, 0, 1, 10, 42);
    const time = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" }).format(new Date(at));
    expect(tryAgainAt(at, at - 300_000)).toBe(`Try again at ${time} (in 5 minutes).`);
    expect(tryAgainAt(at, at - 42_000)).toBe("Try again in 42 seconds.");
    expect(tryAgainAt(at, at)).toBe("Try again in a moment.");
    vi.useFakeTimers();
    vi.setSystemTime(at - 600_000);
    const locked = new ApiError({
      status: 400,
      errors: [{ code: "too_many_login_attempts", message: "Too many failed login attempts. Try again later." }],
      retryAfter: 600,
      receivedAt: at - 600_000,
    });
    expect(locked.formErrors).toEqual([`Too many failed sign-in attempts. Try again at ${time} (in 10 minutes).`]);
    expect(locked.retryAt).toBe(at);
    const noHeader = new ApiError({ status: 400, errors: [{ code: "too_many_login_attempts", message: "Try again later." }] });
    expect(noHeader.formErrors).toEqual(["Try again later."]);
    vi.useRealTimers();
  });

  it("groups field errors by param, in order", () => {
    expect(signupErrors.fieldErrors).toEqual({
      email: ["Enter a valid email address."],
      password: ["This password is too short. It must contain at least 8 characters.", "This password is too common."],
    });
  });
  it("keeps entries without param at form level", () => {
    expect(signupErrors.formErrors).toEqual(["Too many failed login attempts. Try again later."]);
    expect(signupErrors.kind).toBe("input");
  });
  it("finds codes", () => {
    expect(signupErrors.hasCode("password_too_common")).toBe(true);
    expect(signupErrors.hasCode("password_too_common", "password")).toBe(true);
    expect(signupErrors.hasCode("password_too_common", "email")).toBe(false);
    expect(signupErrors.hasCode("email_taken")).toBe(false);
  });
  it("lists every message", () => {
    expect(signupErrors.messages).toHaveLength(4);
  });
  it("describes statuses that come without entries", () => {
    const expired = new ApiError({ status: 409 });
    expect(expired.kind).toBe("conflict");
    expect(expired.formErrors).toEqual([expired.message]);
    expect(expired.message).toMatch(/expired/);
    expect(new ApiError({ status: 403 }).kind).toBe("forbidden");
    expect(new ApiError({ status: 500 }).kind).toBe("server");
    expect(new ApiError({ status: 418 }).message).toBe("The request failed (HTTP 418).");
  });
  it("tells CSRF refusals from other 403s", () => {
    expect(new ApiError({ status: 403, errors: [{ code: "csrf_token_mismatch", message: "m" }] }).kind).toBe("csrf");
  });
  it("words 429s with Retry-After", () => {
    const e = new ApiError({
      status: 429,
      retryAfter: 30,
      errors: [{ code: "rate_limited", message: "Too many requests; try again in 30 seconds." }],
    });
    expect(e.kind).toBe("rate_limited");
    expect(e.formErrors).toEqual(["Too many requests. Try again in 30 seconds."]);
    expect(new ApiError({ status: 429, retryAfter: 300 }).message).toMatch(/^Too many requests\. Try again at \d{1,2}:\d\d.* \(in 5 minutes\)\.$/);
    expect(new ApiError({ status: 429 }).message).toBe("Too many requests. Try again later.");
  });
});

describe("parseRetryAfter", () => {
  it("reads delay-seconds", () => {
    expect(parseRetryAfter("120")).toBe(120);
    expect(parseRetryAfter(" 7 ")).toBe(7);
    expect(parseRetryAfter("0")).toBe(0);
  });
  it("reads HTTP dates", () => {
    const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now)).toBe(30);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now)).toBe(0);
  });
  it("returns null for absent or unreadable values", () => {
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter(undefined)).toBeNull();
    expect(parseRetryAfter("")).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
    expect(parseRetryAfter("-5")).toBeNull();
  });
});

describe("splitErrors", () => {
  it("puts errors next to the inputs the form shows", () => {
    const s = splitErrors(signupErrors, ["email", "password"]);
    expect(s.fields.email).toEqual(["Enter a valid email address."]);
    expect(s.fields.password).toHaveLength(2);
    expect(s.form).toEqual(["Too many failed login attempts. Try again later."]);
  });
  it("renames params with aliases", () => {
    const e = new ApiError({ status: 400, errors: [{ message: "Incorrect code.", code: "incorrect_code", param: "key" }] });
    expect(splitErrors(e, ["code"], { key: "code" })).toEqual({ fields: { code: ["Incorrect code."] }, form: [] });
  });
  it("never drops an error whose param the form does not show", () => {
    const e = new ApiError({ status: 400, errors: [{ message: "Invalid or expired key.", code: "invalid_or_expired_key", param: "key" }] });
    expect(splitErrors(e, ["password"])).toEqual({ fields: {}, form: ["Invalid or expired key."] });
  });
  it("shows a status message when there are no entries", () => {
    expect(splitErrors(new ApiError({ status: 0 }), ["email"]).form[0]).toMatch(/reach the server/);
  });
  it("handles no error and foreign errors", () => {
    expect(splitErrors(null, ["a"])).toEqual({ fields: {}, form: [] });
    expect(splitErrors(new Error("boom"), ["a"])).toEqual({ fields: {}, form: ["boom"] });
  });
});
