// End-to-end tests of Latch's account web app in headless Chromium, against
// real Latch servers and a real SMTP inbox. Run with `npm test` (see
// README.md). Each scenario gets its own Latch, database and browser
// context; the Latch binary, the inbox and the browser are shared.

import assert from "node:assert/strict";
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
const MISMATCH = "The email address and/or password you specified are not correct.";
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
async function latchFor(t, env = {}, host = "") {
  const dir = await tempDir("latch-e2e-db-");
  const latch = await startLatch({ bin, dir: dir.dir, smtpUrl: mailbox.url, env, host });
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
  await page.getByRole("navigation", { name: "Account" }).getByRole("button", { name: "Sign out" }).click();
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

test("errors: a wrong password, then a rate limit", { timeout: 60_000 }, async (t) => {
  const latch = await latchFor(t, { LATCH_RATE_LIMITS: "login=2/m/ip" });
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
    await sees(page.getByText(/Too many requests/));
    await sees(page.getByRole("button", { name: /Try again in \d+s/ }));
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

/** The RFC 6238 code of a base32 secret now (SHA-1, 6 digits, 30 s). */
async function totpNow(secret) {
  const { createHmac } = await import("node:crypto");
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of secret) bits += alphabet.indexOf(ch).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const off = mac[19] & 0xf;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

test("MFA: sign-in asks for the second factor; a recovery code passes it", { timeout: 60_000 }, async (t) => {
  const latch = await latchFor(t, { LATCH_EMAIL_VERIFICATION: "mandatory" });
  await requireWebApp(latch);
  const email = uniqueEmail("mfa");
  const password = "correct horse battery 4";
  const { context, page, log } = await newPage(browser);
  t.after(() => context.close());
  const step = stepper("5-mfa");

  await step("sign up and confirm", page, log, async () => {
    await page.goto(`${latch.url}/account/signup`);
    await signUp(page, { email, password });
    await confirmCode(page, email);
    await seesHome(page, [email]);
  });
  let codes;
  await step("set up TOTP", page, log, async () => {
    await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Two-factor" }).click();
    await sees(h1(page, "Two-factor authentication"));
    await sees(page.getByRole("img", { name: "QR code of the authenticator key" }));
    const secret = (await page.getByText(/^[A-Z2-7]{32}$/).textContent()).trim();
    await page.getByLabel("Code", { exact: true }).fill(await totpNow(secret));
    await page.getByRole("button", { name: "Activate" }).click();
    const list = page.getByRole("list", { name: "Recovery codes" });
    await sees(list);
    codes = (await list.getByRole("listitem").allTextContents()).map((c) => c.trim());
    assert.equal(codes.length, 10, "ten recovery codes are shown");
    await sees(page.getByRole("link", { name: "Download as a text file" }));
  });
  await step("sign out", page, log, async () => {
    await signOut(page);
  });
  await step("sign in asks for a code", page, log, async () => {
    await signIn(page, email, password);
    await sees(h1(page, "Two-factor authentication"));
  });
  await step("a wrong code", page, log, async () => {
    await page.getByLabel("Code", { exact: true }).fill("00000000");
    await page.getByRole("button", { name: "Continue" }).click();
    await sees(page.getByText("Incorrect code."));
  });
  await step("a recovery code", page, log, async () => {
    await page.getByLabel("Code", { exact: true }).fill(codes[0]);
    await page.getByRole("button", { name: "Continue" }).click();
    await seesHome(page, [email]);
  });
});

test("passkeys: add one in Chromium's virtual authenticator, then sign in with it", { timeout: 60_000 }, async (t) => {
  const latch = await latchFor(t, { LATCH_EMAIL_VERIFICATION: "mandatory", LATCH_MFA_PASSKEY_LOGIN: "true" }, "localhost");
  await requireWebApp(latch);
  const email = uniqueEmail("passkey");
  const { context, page, log } = await newPage(browser);
  t.after(() => context.close());
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  const step = stepper("6-passkey");

  await step("sign up and confirm", page, log, async () => {
    await page.goto(`${latch.url}/account/signup`);
    await signUp(page, { email, password: "correct horse battery 5" });
    await confirmCode(page, email);
    await seesHome(page, [email]);
  });
  await step("add a passkey", page, log, async () => {
    await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Two-factor" }).click();
    await page.getByRole("button", { name: "Add a passkey" }).click();
    await sees(page.getByText("Your passkey was added."));
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    assert.equal(credentials.length, 1, "the virtual authenticator holds one credential");
    assert.equal(credentials[0].isResidentCredential, true, "a discoverable credential");
  });
  await step("sign out", page, log, async () => {
    await signOut(page);
  });
  await step("sign in with the passkey", page, log, async () => {
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await seesHome(page, [email]);
  });
});
