// End-to-end tests of Latch's account web app in headless Chromium, against
// real Latch servers and a real SMTP inbox. Run with `npm test` (see
// README.md). Each scenario gets its own Latch, database and browser
// context; the Latch binary, the inbox and the browser are shared.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import {
  buildLatch,
  buildWebApp,
  clearScreenshots,
  codeFrom,
  describePage,
  launchBrowser,
  linkFrom,
  newPage,
  servesWebApp,
  snap,
  startLatch,
  startMailbox,
  startStaticServer,
  tempDir,
  uniqueEmail,
} from "./harness.mjs";

const NOT_SERVED = "Latch does not serve the web app";
const MISMATCH = "The email address or the password is not correct.";
const USERNAME_MISMATCH = "The username or the password is not correct.";
const SIGNED_OUT_ELSEWHERE = /You were signed out: your session expired, was ended from another device, or your password was changed/;
// Another browser, so that the sessions page tells the two sessions apart.
const OTHER_UA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0";

let tmp;
let bin;
let mailbox;
let browser;

before(async () => {
  tmp = await tempDir();
  await clearScreenshots();
  [bin, mailbox, browser] = await Promise.all([buildLatch(tmp.dir), startMailbox(), launchBrowser()]);
});

after(async () => {
  await browser?.close();
  await mailbox?.close();
  await tmp?.cleanup();
});

// ---------------------------------------------------------------------------
// Helpers: what a person sees and does.

const h1 = (page, name) => page.getByRole("heading", { level: 1, name, exact: true });

/** Waits until the locator shows (the first match, when several do). */
async function sees(locator) {
  await locator.first().waitFor({ state: "visible" });
}

/**
 * Runs the steps of one scenario on a page: after each, a screenshot
 * (desktop and phone); on failure, what the page showed.
 */
function stepper(prefix) {
  let n = 0;
  return async function step(name, page, log, fn) {
    n += 1;
    const shot = `${prefix}-${String(n).padStart(2, "0")}-${name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}`;
    try {
      await fn();
    } catch (e) {
      await snap(page, `${shot}-FAILED`);
      e.message = `step "${name}": ${e.message}\n${await describePage(page, log)}`;
      throw e;
    }
    await snap(page, shot);
  };
}

/** A Latch for one scenario, stopped (and its database removed) after it. */
async function latchFor(t, env = {}) {
  const dir = await tempDir("latch-e2e-db-");
  const latch = await startLatch({ bin, dir: dir.dir, smtpUrl: mailbox.url, env });
  t.after(async () => {
    await latch.stop();
    await dir.cleanup();
  });
  return latch;
}

async function requireWebApp(latch) {
  if (!(await servesWebApp(latch.url))) {
    assert.fail(
      `${NOT_SERVED}: GET ${latch.url}/account/login did not answer the app's HTML. ` +
        "cmd/latch must serve web.Handler() (the embedded web/dist) for paths outside the API.",
    );
  }
}

async function signUp(page, { email, username, password }) {
  await sees(h1(page, "Create an account"));
  await page.getByLabel("Email").fill(email);
  if (username) await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Password (again)").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
}

async function confirmCode(page, email) {
  await sees(h1(page, "Check your email"));
  const mail = await mailbox.next({ to: email, subject: /confirm your email/i });
  await page.getByLabel("Code").fill(codeFrom(mail));
  await page.getByRole("button", { name: "Confirm" }).click();
}

/** Fills and submits the sign-in form (the page must show it). */
async function signIn(page, login, password) {
  await sees(h1(page, "Sign in"));
  const form = page.getByRole("form", { name: "Sign in" });
  await form.getByLabel("Email or username").fill(login);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Sign in" }).click();
}

async function signOut(page) {
  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await sees(h1(page, "Sign in"));
}

async function seesHome(page, shown) {
  await sees(h1(page, "Your account"));
  await sees(page.getByText("Signed in as"));
  for (const s of shown) await sees(page.getByText(s));
}

// ---------------------------------------------------------------------------

test("same origin: sign up, confirm by code, sign in and out, change password, sessions, reset password", { timeout: 90_000 }, async (t) => {
  const latch = await latchFor(t, { LATCH_EMAIL_VERIFICATION: "mandatory" });
  await requireWebApp(latch);

  const email = uniqueEmail("alice");
  const username = `alice${Date.now().toString(36)}`;
  const first = "correct horse battery 1";
  const second = "correct horse battery 2";
  const third = "correct horse battery 3";

  const { context, page, log } = await newPage(browser);
  t.after(() => context.close());
  const step = stepper("1-same-origin");

  await step("sign in page", page, log, async () => {
    await page.goto(`${latch.url}/`);
    await sees(h1(page, "Sign in"));
  });
  await step("sign up form", page, log, async () => {
    await page.getByRole("link", { name: "Create an account" }).click();
    await sees(h1(page, "Create an account"));
  });
  await step("sign up", page, log, async () => {
    await signUp(page, { email, username, password: first });
    await sees(h1(page, "Check your email"));
  });
  await step("confirm code", page, log, async () => {
    await confirmCode(page, email);
    await seesHome(page, [username, email]);
    await sees(page.getByText("Your email address is confirmed."));
  });
  await step("sign out", page, log, async () => {
    await signOut(page);
    await sees(page.getByText("You have been signed out."));
  });
  await step("sign in", page, log, async () => {
    await signIn(page, email, first);
    await seesHome(page, [username]);
  });

  await step("change password", page, log, async () => {
    await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Password" }).click();
    await sees(h1(page, "Change password"));
    await page.getByLabel("Current password").fill(first);
    await page.getByLabel("New password", { exact: true }).fill(second);
    await page.getByLabel("New password (again)").fill(second);
    await page.getByRole("button", { name: "Change password" }).click();
    await sees(page.getByText("Your password has been changed."));
  });

  // A second browser signs in; the first signs it out from the sessions page.
  const other = await newPage(browser, { userAgent: OTHER_UA });
  t.after(() => other.context.close());
  await step("second browser signs in", other.page, other.log, async () => {
    await other.page.goto(`${latch.url}/account/login`);
    await signIn(other.page, username, second);
    await seesHome(other.page, [username]);
  });
  await step("sessions", page, log, async () => {
    await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Sessions" }).click();
    await sees(h1(page, "Sessions"));
    const list = page.getByRole("list", { name: "Your sessions" });
    await sees(list.getByText("This device"));
    await sees(list.getByText("Firefox on macOS"));
    assert.equal(await list.getByRole("listitem").count(), 2, "two sessions are listed");
  });
  await step("revoke the other session", page, log, async () => {
    await page.getByRole("button", { name: /^Sign out Firefox on macOS/ }).click();
    await sees(page.getByText("The session was signed out."));
    await sees(page.getByText("You are not signed in anywhere else."));
    assert.equal(await page.getByRole("list", { name: "Your sessions" }).getByRole("listitem").count(), 1);
  });
  await step("the other browser is signed out", other.page, other.log, async () => {
    await other.page.reload();
    await sees(h1(other.page, "Sign in"));
  });

  await step("forgot password", page, log, async () => {
    await signOut(page);
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await sees(h1(page, "Reset your password"));
    await page.getByLabel("Email").fill(email);
    await page.getByRole("button", { name: "Email me a link" }).click();
    await sees(h1(page, "Check your email"));
    await sees(page.getByText(email));
  });
  let link;
  await step("open the reset link", page, log, async () => {
    const mail = await mailbox.next({ to: email, subject: /reset your password/i });
    link = linkFrom(mail, "/account/password/reset/key/");
    assert.ok(link.startsWith(`${latch.url}/account/password/reset/key/`), `the link points at Latch: ${link}`);
    await page.goto(link);
    await sees(h1(page, "Choose a new password"));
    await sees(page.getByText(username));
  });
  await step("set a new password", page, log, async () => {
    await page.getByLabel("New password", { exact: true }).fill(third);
    await page.getByLabel("New password (again)").fill(third);
    await page.getByRole("button", { name: "Change password" }).click();
    await sees(h1(page, "Sign in"));
    await sees(page.getByText("Your password has been changed."));
  });
  await step("the old password no longer works", page, log, async () => {
    await signIn(page, email, second);
    await sees(page.getByText(MISMATCH));
  });
  await step("sign in with the new password", page, log, async () => {
    await page.goto(`${latch.url}/account/login`);
    await signIn(page, email, third);
    await seesHome(page, [username, email]);
  });
  await step("the reset link works only once", page, log, async () => {
    await signOut(page);
    await page.goto(link);
    await sees(h1(page, "Choose a new password"));
    await sees(page.getByText("This link is invalid or has expired."));
  });
});

test("username-only accounts: the form asks no address, sign up and in by username", { timeout: 60_000 }, async (t) => {
  const latch = await latchFor(t, { LATCH_SIGNUP_FIELDS: "email,username*,password1*" });
  await requireWebApp(latch);

  const username = `kim${Date.now() % 100000}`;
  const password = "correct horse battery staple";
  const { context, page, log } = await newPage(browser);
  t.after(() => context.close());
  const step = stepper("4-username-only");

  await step("sign up without an address", page, log, async () => {
    await page.goto(`${latch.url}/account/signup`);
    await sees(h1(page, "Create an account"));
    assert.equal(await page.getByLabel("Email").getAttribute("required"), null, "the email field is required");
    assert.notEqual(await page.getByLabel("Username").getAttribute("required"), null, "the username field is optional");
    await signUp(page, { email: "", username, password });
    await seesHome(page, [username]);
    await signOut(page);
  });
  await step("sign in by username", page, log, async () => {
    await signIn(page, username, password);
    await seesHome(page, [username]);
  });
});

test("errors: a wrong password, then a rate limit named as a time", { timeout: 60_000 }, async (t) => {
  const latch = await latchFor(t, { LATCH_RATE_LIMITS: "login=2/h/ip" });
  await requireWebApp(latch);

  const email = uniqueEmail("bob");
  const password = "correct horse battery staple";
  const { context, page, log } = await newPage(browser);
  t.after(() => context.close());
  const step = stepper("2-errors");

  // Signing up is not a login: it does not use up the login budget.
  await step("sign up", page, log, async () => {
    await page.goto(`${latch.url}/account/signup`);
    await signUp(page, { email, password });
    await sees(h1(page, "Your account"));
    await signOut(page);
  });
  await step("wrong password", page, log, async () => {
    await signIn(page, email, "not the password");
    await sees(page.getByText(MISMATCH));
    await sees(h1(page, "Sign in"));
  });
  await step("second login works", page, log, async () => {
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByRole("form", { name: "Sign in" }).getByRole("button", { name: "Sign in" }).click();
    await seesHome(page, [email]);
    await signOut(page);
  });
  await step("third login is rate limited", page, log, async () => {
    await signIn(page, email, password);
    // Retry-After is about half an hour: the message names the clock time.
    await sees(page.getByText(/Too many requests\. Try again at \d{1,2}:\d\d.*\(in \d+ minutes\)\./));
    await sees(page.getByRole("button", { name: /Try again in \d+ min/ }));
    await sees(h1(page, "Sign in"));
  });
});

test("cross origin: the app on another origin signs up and in", { timeout: 60_000 }, async (t) => {
  const site = await startStaticServer();
  t.after(() => site.close());
  const latch = await latchFor(t, {
    LATCH_EMAIL_VERIFICATION: "mandatory",
    LATCH_CORS_ALLOWED_ORIGINS: site.url,
    LATCH_FRONTEND_URL: site.url,
  });
  const dist = await tempDir("latch-e2e-dist-");
  t.after(() => dist.cleanup());
  site.setRoot(await buildWebApp(dist.dir, { VITE_LATCH_URL: latch.url }));

  const email = uniqueEmail("carol");
  const password = "correct horse battery staple";
  const { context, page, log } = await newPage(browser);
  t.after(() => context.close());
  const apiOrigins = new Set();
  page.on("request", (r) => {
    if (r.url().includes("/_allauth/")) apiOrigins.add(new URL(r.url()).origin);
  });
  const step = stepper("3-cross-origin");

  await step("sign in page", page, log, async () => {
    await page.goto(`${site.url}/`);
    await sees(h1(page, "Sign in"));
  });
  await step("sign up", page, log, async () => {
    await page.getByRole("link", { name: "Create an account" }).click();
    await signUp(page, { email, password });
    await sees(h1(page, "Check your email"));
  });
  await step("confirm code", page, log, async () => {
    await confirmCode(page, email);
    await seesHome(page, [email]);
  });
  await step("sign out and in", page, log, async () => {
    await signOut(page);
    await signIn(page, email, password);
    await seesHome(page, [email]);
    assert.equal(new URL(page.url()).origin, site.url, "the app stays on its own origin");
  });
  await step("reload keeps the session", page, log, async () => {
    await page.reload();
    await seesHome(page, [email]);
  });
  assert.deepEqual([...apiOrigins], [latch.url], "the app called Latch's origin, and only it");
});

// ---------------------------------------------------------------------------
// Issue 17: branding, the show-password toggle, profile, deletion, and the
// rough edges, each shown fixed in the browser.

const LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="#c2185b"/></svg>';

test("branding, profile, deletion and the rough edges", { timeout: 120_000 }, async (t) => {
  const files = await tempDir("latch-e2e-brand-");
  t.after(() => files.cleanup());
  const logo = path.join(files.dir, "logo.svg");
  await writeFile(logo, LOGO_SVG);
  const latch = await latchFor(t, {
    LATCH_EMAIL_VERIFICATION: "mandatory",
    LATCH_SITE_NAME: "Acme Accounts",
    LATCH_BRAND_COLOR: "#c2185b",
    LATCH_BRAND_LOGO_FILE: logo,
    LATCH_ACCOUNT_DELETION: "true",
    LATCH_REAUTHENTICATION_TIMEOUT: "2s",
  });
  await requireWebApp(latch);
  const config = await (await fetch(`${latch.url}/_allauth/browser/v1/config`)).json();
  const lifetimes = config.data.latch.lifetimes;

  const email = uniqueEmail("dana");
  const username = `dana${Date.now().toString(36)}`;
  const password = "correct horse battery staple";
  const newPassword = "correct horse battery staple 2";
  const { context, page, log } = await newPage(browser);
  t.after(() => context.close());
  const step = stepper("5-issue-17");

  await step("branding from config", page, log, async () => {
    await page.goto(`${latch.url}/account/signup`);
    await sees(h1(page, "Create an account"));
    const banner = page.getByRole("banner");
    await sees(banner.getByText("Acme Accounts"));
    assert.match(await page.title(), /· Acme Accounts$/);
    const accent = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--accent").trim());
    assert.equal(accent, "#c2185b", "the accent colour is the brand colour");
    const img = banner.locator("img.brand-logo");
    assert.equal(await img.getAttribute("src"), "/_latch/brand/logo");
    await page.waitForFunction(() => document.querySelector("img.brand-logo")?.naturalWidth > 0);
  });

  await step("the app's script arrives compressed", page, log, async () => {
    const script = await page.evaluate(() =>
      performance
        .getEntriesByType("resource")
        .filter((r) => r.name.includes("/assets/") && r.name.endsWith(".js"))
        .map((r) => ({ name: r.name, encoded: r.encodedBodySize, decoded: r.decodedBodySize }))[0],
    );
    assert.ok(script, "the script was loaded");
    const res = await fetch(script.name, { headers: { "Accept-Encoding": "gzip, deflate, br" } });
    assert.equal(res.headers.get("content-encoding"), "br", "Chromium's Accept-Encoding gets brotli");
    assert.equal(res.headers.get("vary"), "Accept-Encoding");
    assert.ok(script.encoded < script.decoded / 3, `sent ${script.encoded} bytes for ${script.decoded}`);
    t.diagnostic(`script transfer: ${script.encoded} bytes encoded, ${script.decoded} decoded`);
  });

  await step("show password toggle", page, log, async () => {
    const input = page.getByLabel("Password", { exact: true });
    await input.fill(password);
    assert.equal(await input.getAttribute("type"), "password");
    await page.getByRole("button", { name: "Show password", exact: true }).click();
    assert.equal(await input.getAttribute("type"), "text", "the password shows as text");
    await page.getByRole("button", { name: "Hide password", exact: true }).click();
    assert.equal(await input.getAttribute("type"), "password");
  });

  await step("the code page names the address and the code's lifetime", page, log, async () => {
    await signUp(page, { email, username, password });
    await sees(h1(page, "Check your email"));
    await sees(page.getByText(`We emailed ${email} a confirmation code.`));
    const minutes = lifetimes.email_verification_code / 60;
    await sees(page.getByText(`It works for ${minutes} minute${minutes === 1 ? "" : "s"}.`));
  });
  await step("confirmed", page, log, async () => {
    await confirmCode(page, email);
    await seesHome(page, [username]);
  });

  await step("390 px: the header stays on its rows", page, log, async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const box = async (locator) => locator.boundingBox();
    const brand = await box(page.getByRole("banner").getByRole("link", { name: /Acme Accounts/ }));
    const out = await box(page.getByRole("banner").getByRole("button", { name: "Sign out" }));
    assert.ok(brand && out, "brand and Sign out are shown");
    assert.ok(Math.abs(brand.y + brand.height / 2 - (out.y + out.height / 2)) < 8, `Sign out is beside the brand: ${JSON.stringify({ brand, out })}`);
    const tops = await page
      .getByRole("navigation", { name: "Account" })
      .getByRole("listitem")
      .evaluateAll((items) => items.map((li) => Math.round(li.getBoundingClientRect().top)));
    assert.equal(new Set(tops).size, 1, `the nav links are on one line: ${tops}`);
    const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(pageWidth <= 390, `nothing sticks out of the page: ${pageWidth}px`);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await step("profile: a field error, then saved", page, log, async () => {
    await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Profile" }).click();
    await sees(h1(page, "Profile"));
    await page.getByLabel("Username").fill("not valid!");
    await page.getByRole("button", { name: "Save" }).click();
    await sees(page.getByText(/Enter a valid username/));
    await page.getByLabel("Username").fill(`${username}x`);
    await page.getByLabel("First name").fill("Dana");
    await page.getByLabel("Last name").fill("Scully");
    await page.getByRole("button", { name: "Save" }).click();
    await sees(page.getByText("Your profile was saved."));
    assert.equal(await page.getByText(/Enter a valid username/).count(), 0, "the old field error is gone");
    await page.reload();
    await sees(h1(page, "Profile"));
    assert.equal(await page.getByLabel("First name").inputValue(), "Dana");
    assert.equal(await page.getByLabel("Username").inputValue(), `${username}x`);
  });

  await step("a stale message goes when a new error comes; the error names the username", page, log, async () => {
    await signOut(page);
    await sees(page.getByText("You have been signed out."));
    await signIn(page, `${username}x`, "not the password");
    await sees(page.getByText(USERNAME_MISMATCH));
    assert.equal(await page.getByText("You have been signed out.").count(), 0, "the sign-out message is gone");
    await signIn(page, email, "not the password");
    await sees(page.getByText(MISMATCH));
  });

  const other = await newPage(browser, { userAgent: OTHER_UA });
  t.after(() => other.context.close());
  await step("signed out elsewhere: explained", other.page, other.log, async () => {
    await other.page.goto(`${latch.url}/account/login`);
    await signIn(other.page, email, password);
    await seesHome(other.page, [`${username}x`]);
    // The first browser changes the password: the other's session ends.
    await signIn(page, email, password);
    await seesHome(page, [`${username}x`]);
    await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Password" }).click();
    await page.getByLabel("Current password").fill(password);
    await page.getByLabel("New password", { exact: true }).fill(newPassword);
    await page.getByLabel("New password (again)").fill(newPassword);
    await page.getByRole("button", { name: "Change password" }).click();
    await sees(page.getByText("Your password has been changed."));
    const markBefore = await other.page.evaluate(() => localStorage.getItem("latch.signedIn"));
    await other.page.reload();
    await sees(h1(other.page, "Sign in"));
    try {
      await sees(other.page.getByText(SIGNED_OUT_ELSEWHERE));
    } catch (e) {
      const markAfter = await other.page.evaluate(() => localStorage.getItem("latch.signedIn"));
      const text = await other.page.locator("main").innerText();
      throw new Error(`no explanation (mark before the reload ${markBefore}, after ${markAfter}, at ${other.page.url()}): ${text}`, { cause: e });
    }
  });

  await step("deleting asks for the password", page, log, async () => {
    await page.waitForTimeout(2500); // past LATCH_REAUTHENTICATION_TIMEOUT
    await page.goto(`${latch.url}/account`);
    await page.getByRole("link", { name: "Delete your account" }).click();
    await sees(h1(page, "Delete your account"));
    await page.getByLabel(/I understand/).check();
    await page.getByRole("button", { name: "Delete my account" }).click();
    await sees(page.getByText("To delete your account, enter your password."));
  });
  await step("deleted", page, log, async () => {
    await page.getByLabel("Password", { exact: true }).fill(newPassword);
    await page.getByRole("button", { name: "Delete my account" }).click();
    await sees(h1(page, "Sign in"));
    await sees(page.getByText("Your account was deleted. We emailed you a confirmation."));
    await mailbox.next({ to: email, subject: /deleted/i });
    await signIn(page, email, newPassword);
    await sees(page.getByText(MISMATCH));
  });
});

// The typed client package (clients/ts, as built into its dist/) against a
// real Latch: the app tree with JWTs, and the browser tree's types on real
// answers.
test("typed client: app tree sign-up, login, JWT refresh and logout against a real Latch", { timeout: 60_000 }, async (t) => {
  const latch = await latchFor(t, { LATCH_APP_TOKEN_STRATEGY: "jwt", LATCH_JWT_ACCESS_TTL: "30s" });
  const { createAppClient, memoryTokenStore, ApiError } = await import("../clients/ts/dist/index.js");
  let now = Date.now();
  const store = memoryTokenStore();
  const client = createAppClient({ baseUrl: latch.url, tokens: store, now: () => now, refreshLeeway: 5 });
  const email = uniqueEmail("erin");
  const password = "correct horse battery staple";

  const config = await client.getConfig();
  assert.equal(typeof config.latch?.site_name, "string");
  const signedUp = await client.signup({ email, password });
  assert.equal(signedUp.status, "authenticated");
  const first = await store.get();
  assert.ok(first.sessionToken && first.accessToken && first.refreshToken, "a login hands out the three tokens");

  await assert.rejects(
    () => client.login({ email, password: "wrong" }),
    (e) => e instanceof ApiError && e.kind === "input" && e.fieldErrors.password?.length === 1,
  );
  // The access token is due: the next call refreshes first, once.
  now += 60_000;
  const [a, b] = await Promise.all([client.getSession(), client.listEmailAddresses()]);
  assert.equal(a.status, "authenticated");
  assert.equal(b[0].email, email);
  const second = await store.get();
  assert.notEqual(second.refreshToken, first.refreshToken, "the refresh token rotated");
  assert.notEqual(second.accessToken, first.accessToken);

  const out = await client.logout();
  assert.equal(out.status, "unauthenticated");
  assert.deepEqual(await store.get(), {}, "logout drops the tokens");
  const again = await client.login({ email, password });
  assert.equal(again.status, "authenticated");
});

/** The TOTP code of a base32 secret now (RFC 6238: SHA-1, 6 digits, 30 s). */
function totp(secret, at = Date.now()) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of secret.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => Number.parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

test("two-factor: an authenticator app set up from the QR code page, recovery codes, the second step at sign-in", { timeout: 60_000 }, async (t) => {
  const latch = await latchFor(t, { LATCH_EMAIL_VERIFICATION: "mandatory", LATCH_MFA_SUPPORTED_TYPES: "totp,recovery_codes" });
  await requireWebApp(latch);
  const email = uniqueEmail("frank");
  const password = "correct horse battery staple";
  const { context, page, log } = await newPage(browser);
  t.after(() => context.close());
  const step = stepper("6-two-factor");
  let codes;

  await step("the set-up page shows a QR code", page, log, async () => {
    await page.goto(`${latch.url}/account/signup`);
    await signUp(page, { email, password });
    await confirmCode(page, email);
    await seesHome(page, [email]);
    await page.getByRole("link", { name: /Two-factor authentication/ }).click();
    await sees(h1(page, "Two-factor authentication"));
    await page.getByRole("button", { name: "Set up an authenticator app" }).click();
    await page.waitForFunction(() => document.querySelector("img.qr")?.naturalWidth > 0);
  });
  await step("turned on with a code; recovery codes shown", page, log, async () => {
    const secret = (await page.locator("code.secret").textContent()).trim();
    await page.getByLabel("Code from the app").fill(totp(secret));
    await page.getByRole("button", { name: "Turn on" }).click();
    await sees(page.getByText(/On since/));
    const list = page.getByRole("list", { name: "Recovery codes" });
    await sees(list);
    codes = await list.getByRole("listitem").allTextContents();
    assert.equal(codes.length, 10, "ten recovery codes");
  });
  await step("sign-in asks for the second factor", page, log, async () => {
    await signOut(page);
    await signIn(page, email, password);
    await sees(h1(page, "Two-factor authentication"));
    await page.getByLabel("Code", { exact: true }).fill(codes[0].trim());
    await page.getByRole("button", { name: "Continue" }).click();
    await seesHome(page, [email]);
  });
});
