// End-to-end tests of social login in headless Chromium: the web app's
// provider buttons, the provider callback page, the provider signup page and
// Connected accounts, against a real Latch and two OpenID Connect providers
// started on loopback (internal/providertest/cmd/testprovider).

import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import path from "node:path";
import { after, before, test } from "node:test";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { buildLatch, describePage, launchBrowser, newPage, REPO_ROOT, snap, startLatch, startMailbox, tempDir } from "./harness.mjs";

const run = promisify(execFile);

let tmp;
let bin;
let mailbox;
let browser;
const providers = [];

/** Starts a provider that approves every login as the given user; resolves to {url, client_id, secret}. */
async function startProvider(providerBin, args) {
  const child = spawn(providerBin, args, { stdio: ["ignore", "pipe", "inherit"] });
  providers.push(child);
  const line = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`testprovider exited (${code})`)));
  });
  return JSON.parse(line);
}

before(async () => {
  tmp = await tempDir();
  const providerBin = path.join(tmp.dir, "testprovider");
  await run("go", ["build", "-o", providerBin, "./internal/providertest/cmd/testprovider"], { cwd: REPO_ROOT, maxBuffer: 16 << 20 });
  [bin, mailbox, browser] = await Promise.all([buildLatch(tmp.dir), startMailbox(), launchBrowser()]);
});

after(async () => {
  for (const p of providers) p.kill("SIGKILL");
  await browser?.close();
  await mailbox?.close();
  await tmp?.cleanup();
});

const h1 = (page, name) => page.getByRole("heading", { level: 1, name, exact: true });
const sees = (locator) => locator.first().waitFor({ state: "visible" });

async function step(page, log, name, fn) {
  try {
    await fn();
  } catch (e) {
    await snap(page, `social-${name}-FAILED`);
    e.message = `step "${name}": ${e.message}\n${await describePage(page, log)}`;
    throw e;
  }
  await snap(page, `social-${name}`);
}

test("social login: provider buttons, callback, connected accounts, provider signup", { timeout: 90_000 }, async (t) => {
  const corp = await startProvider(path.join(tmp.dir, "testprovider"), ["-sub", "s-1", "-email", "ada@example.com", "-name", "Ada"]);
  // Another provider that says the same address, unverified: it must not log into Ada's account.
  const other = await startProvider(path.join(tmp.dir, "testprovider"), ["-sub", "s-2", "-email", "ada@example.com", "-verified=false", "-name", "Mallory"]);
  const dir = await tempDir("latch-e2e-db-");
  const latch = await startLatch({
    bin,
    dir: dir.dir,
    smtpUrl: mailbox.url,
    env: {
      LATCH_SOCIAL_EMAIL_AUTHENTICATION: "true",
      LATCH_SOCIAL_PROVIDERS: JSON.stringify([
        { id: "corp", kind: "oidc", name: "Corp ID", client_id: corp.client_id, secret: corp.secret, issuer: corp.url },
        { id: "other", kind: "oidc", name: "Other ID", client_id: other.client_id, secret: other.secret, issuer: other.url },
      ]),
    },
  });
  t.after(async () => {
    await latch.stop();
    await dir.cleanup();
  });
  const { context, page, log } = await newPage(browser);
  t.after(() => context.close());

  await step(page, log, "01-sign-in-with-provider", async () => {
    await page.goto(`${latch.url}/account/login`);
    await sees(h1(page, "Sign in"));
    await page.getByRole("button", { name: "Continue with Corp ID" }).click();
    await sees(h1(page, "Your account"));
    await sees(page.getByText("ada@example.com"));
  });
  await step(page, log, "02-connected-accounts", async () => {
    await page.goto(`${latch.url}/account/providers`);
    await sees(h1(page, "Connected accounts"));
    await sees(page.getByText("Corp ID"));
    await page.getByRole("button", { name: "Disconnect" }).click();
    await sees(page.getByText(/only way to sign in to your account: set a password first/));
    await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
    await sees(h1(page, "Sign in"));
  });
  await step(page, log, "03-provider-signup", async () => {
    await page.getByRole("button", { name: "Continue with Other ID" }).click();
    await sees(h1(page, "Create your account"));
    assert.equal(await page.getByLabel("Email").inputValue(), "ada@example.com");
    await page.getByRole("button", { name: "Create account" }).click();
    await sees(page.getByText(/An account already exists with this email address/));
    await page.getByLabel("Email").fill("mallory@example.com");
    await page.getByRole("button", { name: "Create account" }).click();
    await sees(h1(page, "Your account"));
    await sees(page.getByText("mallory@example.com"));
  });
  await step(page, log, "04-callback-from-another-browser", async () => {
    // Another browser starts a login; its provider callback, opened here
    // (login CSRF), must not sign this browser in: the error page says so.
    const other = await newPage(browser);
    t.after(() => other.context.close());
    // Its redirect form is sent as it would be; the provider's answer (the
    // callback URL with code and state) is kept instead of followed.
    let callback = null;
    await other.page.route(`${latch.url}/_allauth/browser/v1/auth/provider/redirect`, async (route) => {
      const res = await route.fetch({ maxRedirects: 0 });
      const atProvider = await fetch(res.headers()["location"], { redirect: "manual" });
      callback = atProvider.headers.get("location");
      await route.fulfill({ status: 200, contentType: "text/plain", body: "stopped" });
    });
    await other.page.goto(`${latch.url}/account/login`);
    await other.page.getByRole("button", { name: "Continue with Corp ID" }).click();
    await other.page.getByText("stopped").waitFor();
    assert.ok(callback?.startsWith(`${latch.url}/accounts/oidc/corp/login/callback/`), `callback ${callback}`);
    await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
    await sees(h1(page, "Sign in"));
    await page.goto(callback);
    await sees(h1(page, "Could not sign in"));
    await sees(page.getByText(/started in another browser/));
  });
});
