// End-to-end test of the admin pages in headless Chromium: a staff user
// made with `latch createsuperuser` finds a user in the users table, opens
// them, deactivates them, and finds the deactivation in the audit log; a
// user who is not staff sees no admin link and no admin data.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { after, before, test } from "node:test";
import { buildLatch, describePage, launchBrowser, newPage, secretKey, snap, startLatch, startMailbox, tempDir, uniqueEmail } from "./harness.mjs";

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

/** Runs `latch ARGS…` on the scenario's database with the password on standard input; resolves to its output. */
function latchCLI(dir, args, password) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("LATCH_")) env[k] = v;
  Object.assign(env, {
    LATCH_DATABASE_URL: `sqlite:${path.join(dir, "latch.db")}`,
    LATCH_SECRET_KEY: secretKey(),
    LATCH_EMAIL_URL: mailbox.url,
    LATCH_ARGON2_MEMORY_KIB: "1024",
    LATCH_ARGON2_ITERATIONS: "1",
    LATCH_LOG_LEVEL: "warn",
  });
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: dir, env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`latch ${args.join(" ")} exited ${code}:\n${out}`))));
    child.stdin.end(`${password}\n`);
  });
}

async function signIn(page, url, email, password) {
  await page.goto(`${url}/account/login`);
  await sees(h1(page, "Sign in"));
  const form = page.getByRole("form", { name: "Sign in" });
  await form.getByLabel("Email or username").fill(email);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Sign in" }).click();
  await sees(h1(page, "Your account"));
}

test("admin pages: search, open a user, deactivate, see the audit entry; non-staff kept out", { timeout: 90_000 }, async (t) => {
  const dir = await tempDir("latch-e2e-db-");
  const latch = await startLatch({ bin, dir: dir.dir, smtpUrl: mailbox.url });
  t.after(async () => {
    await latch.stop();
    await dir.cleanup();
  });
  const password = "correct horse battery staple 42";
  const admin = uniqueEmail("admin");
  const target = uniqueEmail("target");
  const bystander = uniqueEmail("bystander");
  await latchCLI(dir.dir, ["createsuperuser", "--email", admin, "--password-stdin"], password);
  const created = await latchCLI(dir.dir, ["users", "create", "--email", target, "--verified", "--password-stdin"], password);
  const targetId = /\(id ([^)]+)\)/.exec(created)?.[1];
  assert.ok(targetId, `users create printed an id: ${created}`);
  await latchCLI(dir.dir, ["users", "create", "--email", bystander, "--verified", "--password-stdin"], password);

  const staff = await newPage(browser);
  const user = await newPage(browser);
  t.after(async () => {
    await staff.context.close();
    await user.context.close();
  });
  let current = staff;
  const step = async (name, who, fn) => {
    current = who;
    try {
      await fn();
    } catch (e) {
      await snap(current.page, `admin-${name}-FAILED`);
      e.message = `step "${name}": ${e.message}\n${await describePage(current.page, current.log)}`;
      throw e;
    }
    await snap(current.page, `admin-${name}`);
  };

  await step("non-staff-kept-out", user, async () => {
    // Once signed in, the header asks the admin API whether the user is staff: a 403, so no link.
    const probed = user.page.waitForResponse((r) => r.url().includes("/_latch/admin/v1/users") && r.status() === 403);
    await signIn(user.page, latch.url, target, password);
    await probed;
    assert.equal(await user.page.getByRole("banner").getByRole("link", { name: "Admin" }).count(), 0, "no admin link for a non-staff user");
    await user.page.goto(`${latch.url}/account/admin/users`);
    await sees(user.page.getByText("These pages are for staff only."));
    assert.equal(await user.page.getByText(bystander).count(), 0, "no user is listed to a non-staff user");
  });

  await step("users-table", staff, async () => {
    await signIn(staff.page, latch.url, admin, password);
    await staff.page.getByRole("banner").getByRole("link", { name: "Admin" }).click();
    await sees(h1(staff.page, "Users"));
    const table = staff.page.getByRole("table", { name: "Users" });
    await sees(table.getByRole("link", { name: bystander }));
    await sees(table.getByRole("link", { name: target }));
  });

  await step("search", staff, async () => {
    await staff.page.getByLabel("Search").fill(target.split("@")[0]);
    await staff.page.getByRole("button", { name: "Search", exact: true }).click();
    const table = staff.page.getByRole("table", { name: "Users" });
    await table.getByRole("link", { name: bystander }).waitFor({ state: "detached" });
    assert.equal(await table.getByRole("row").count(), 2, "the header and the one user found");
    await table.getByRole("link", { name: target }).click();
  });

  await step("user-page", staff, async () => {
    await sees(h1(staff.page, target));
    await sees(staff.page.getByRole("list", { name: "Email addresses" }).getByText(target));
    // The target's browser session is listed.
    assert.equal(await staff.page.getByRole("list", { name: "Sessions" }).getByRole("listitem").count(), 1);
  });

  await step("deactivate", staff, async () => {
    await staff.page.getByRole("button", { name: "Deactivate" }).click();
    await sees(staff.page.getByRole("status").getByText("The user was deactivated and signed out everywhere."));
    await sees(staff.page.getByRole("button", { name: "Activate" }));
    await sees(staff.page.getByText("Inactive", { exact: true }));
    await sees(staff.page.getByText("No sessions."));
  });

  await step("deactivated-user-signed-out", user, async () => {
    await user.page.goto(`${latch.url}/account`);
    await sees(h1(user.page, "Sign in"));
  });

  await step("audit-entry", staff, async () => {
    await staff.page.getByRole("link", { name: "Audit log" }).last().click();
    await sees(h1(staff.page, "Audit log"));
    assert.equal(await staff.page.getByLabel("User id").inputValue(), targetId);
    const row = staff.page.getByRole("table", { name: "Audit log" }).getByRole("row").filter({ hasText: "admin.user_updated" });
    await sees(row);
    assert.match(await row.first().innerText(), /is_active/);
    // Filtering by type keeps it and drops the others.
    await staff.page.getByLabel("Event type").fill("admin.user_updated");
    await staff.page.getByRole("button", { name: "Filter" }).click();
    await staff.page.getByRole("table", { name: "Audit log" }).getByText("admin.user_created").waitFor({ state: "detached" });
    await sees(row);
  });
});
