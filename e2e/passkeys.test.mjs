// End-to-end test of security keys and passkeys in the account web app:
// Chromium's virtual authenticator (over the DevTools protocol) stands in
// for a device, against a real Latch at http://localhost:<port> (WebAuthn
// accepts localhost as a relying-party id; an IP address is refused).

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { buildLatch, codeFrom, describePage, launchBrowser, newPage, snap, startLatch, startMailbox, tempDir, uniqueEmail } from "./harness.mjs";

let tmp;
let bin;
let mailbox;
let browser;

before(async () => {
  tmp = await tempDir();
  [bin, mailbox, browser] = await Promise.all([buildLatch(tmp.dir), startMailbox(), launchBrowser()]);
});

after(async () => {
  await browser?.close();
  await mailbox?.close();
  await tmp?.cleanup();
});

const h1 = (page, name) => page.getByRole("heading", { level: 1, name, exact: true });
const sees = (locator) => locator.first().waitFor({ state: "visible" });

async function step(page, log, name, fn) {
  const shot = `passkeys-${name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}`;
  try {
    await fn();
  } catch (e) {
    await snap(page, `${shot}-FAILED`);
    e.message = `step "${name}": ${e.message}\n${await describePage(page, log)}`;
    throw e;
  }
  await snap(page, shot);
}

async function signOut(page) {
  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await sees(h1(page, "Sign in"));
}

async function seesHome(page, email) {
  await sees(h1(page, "Your account"));
  await sees(page.getByText("Signed in as"));
  await sees(page.getByText(email));
}

test("passkeys: add, rename, sign in with it, use it as the second factor, delete", { timeout: 90_000 }, async (t) => {
  const dir = await tempDir("latch-e2e-db-");
  const latch = await startLatch({
    bin,
    dir: dir.dir,
    smtpUrl: mailbox.url,
    host: "localhost",
    env: { LATCH_EMAIL_VERIFICATION: "mandatory", LATCH_MFA_PASSKEY_LOGIN: "true" },
  });
  t.after(async () => {
    await latch.stop();
    await dir.cleanup();
  });
  const email = uniqueEmail("passkey");
  const password = "correct horse battery 5";
  const { context, page, log } = await newPage(browser);
  t.after(() => context.close());
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });

  await step(page, log, "sign up and confirm", async () => {
    await page.goto(`${latch.url}/account/signup`);
    await sees(h1(page, "Create an account"));
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByLabel("Password (again)").fill(password);
    await page.getByRole("button", { name: "Create account" }).click();
    await sees(h1(page, "Check your email"));
    const mail = await mailbox.next({ to: email, subject: /confirm your email/i });
    await page.getByLabel("Code").fill(codeFrom(mail));
    await page.getByRole("button", { name: "Confirm" }).click();
    await seesHome(page, email);
  });
  await step(page, log, "add a passkey with a name", async () => {
    await page.goto(`${latch.url}/account/2fa`);
    await sees(h1(page, "Two-factor authentication"));
    const form = page.getByRole("form", { name: "Add a security key or passkey" });
    await form.getByLabel("Name").fill("My laptop");
    await form.getByRole("button", { name: "Add a security key or passkey" }).click();
    await sees(page.getByText("Your passkey was added."));
    await sees(page.getByRole("list", { name: "Security keys and passkeys" }).getByText("My laptop"));
    assert.equal(await form.getByLabel("Name").inputValue(), "", "the add form is empty again");
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    assert.equal(credentials.length, 1, "the virtual authenticator holds one credential");
    assert.equal(credentials[0].isResidentCredential, true, "a discoverable credential (a passkey)");
  });
  await step(page, log, "rename it", async () => {
    await page.getByRole("button", { name: "Rename My laptop" }).click();
    await page.getByLabel("New name").fill("Work laptop");
    await page.getByRole("button", { name: "Save" }).click();
    const list = page.getByRole("list", { name: "Security keys and passkeys" });
    await sees(list.getByText("Work laptop"));
    assert.equal(await list.getByText("My laptop").count(), 0, "the old name is gone");
  });
  await step(page, log, "sign in with the passkey", async () => {
    await signOut(page);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await seesHome(page, email);
  });
  await step(page, log, "the passkey as the second factor of a password sign-in", async () => {
    await signOut(page);
    const form = page.getByRole("form", { name: "Sign in" });
    await form.getByLabel("Email or username").fill(email);
    await form.getByLabel("Password").fill(password);
    await form.getByRole("button", { name: "Sign in" }).click();
    await sees(h1(page, "Two-factor authentication"));
    await page.getByRole("button", { name: "Use a security key or passkey" }).click();
    await seesHome(page, email);
  });
  await step(page, log, "delete it; it no longer signs in", async () => {
    await page.goto(`${latch.url}/account/2fa`);
    await page.getByRole("button", { name: "Delete Work laptop" }).click();
    await sees(page.getByText(/^None yet\./));
    await signOut(page);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await sees(page.getByRole("alert"));
    await sees(h1(page, "Sign in"));
  });
});
