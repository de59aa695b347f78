// The machinery of Latch's end-to-end tests: a Latch binary built from this
// checkout, Latch servers with their own SQLite databases, an SMTP inbox,
// a static file server for a cross-origin copy of the web app, and headless
// Chromium driven by playwright-core. The tests themselves are in
// *.test.mjs beside this file.

import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { simpleParser } from "mailparser";
import { chromium } from "playwright-core";
import { SMTPServer } from "smtp-server";

const run = promisify(execFile);

export const E2E_DIR = path.dirname(fileURLToPath(import.meta.url));
/** The repository: the Go module at the root, the web app in web/. */
export const REPO_ROOT = path.resolve(E2E_DIR, "..");
export const WEB_DIR = path.join(REPO_ROOT, "web");
export const SCREENSHOT_DIR = path.join(E2E_DIR, "screenshots");

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** A fresh temporary directory, removed by the returned cleanup. */
export async function tempDir(prefix = "latch-e2e-") {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A TCP port nobody listens on right now, on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** 40 random characters for LATCH_SECRET_KEY. */
export function secretKey() {
  return randomBytes(30).toString("base64url");
}

/** A unique, valid address for one scenario's user. */
export function uniqueEmail(name) {
  return `${name}.${Date.now().toString(36)}${randomBytes(3).toString("hex")}@example.com`;
}

// ---------------------------------------------------------------------------
// Building

/**
 * Builds cmd/latch into dir (with the web app in web/dist embedded as it
 * is). LATCH_E2E_BIN=/path/to/latch uses that binary instead.
 */
export async function buildLatch(dir) {
  if (process.env.LATCH_E2E_BIN) return path.resolve(process.env.LATCH_E2E_BIN);
  const out = path.join(dir, "latch");
  try {
    await run("go", ["build", "-o", out, "./cmd/latch"], { cwd: REPO_ROOT, maxBuffer: 16 << 20 });
  } catch (e) {
    throw new Error(`go build ./cmd/latch failed:\n${e.stderr || e.message}`);
  }
  return out;
}

/**
 * Builds a copy of the web app from web/src into outDir with `env` (e.g.
 * VITE_LATCH_URL) set, using web/'s own Vite. Installs web/'s dependencies
 * (npm ci) first when they are missing.
 */
export async function buildWebApp(outDir, env) {
  const vite = path.join(WEB_DIR, "node_modules", "vite", "bin", "vite.js");
  if (!existsSync(vite)) {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    try {
      await run(npm, ["ci", "--no-audit", "--no-fund"], { cwd: WEB_DIR, maxBuffer: 16 << 20 });
    } catch (e) {
      throw new Error(`npm ci in web/ failed (needed to build the cross-origin copy of the app):\n${e.stderr || e.message}`);
    }
  }
  try {
    await run(process.execPath, [vite, "build", "--outDir", outDir, "--emptyOutDir", "--logLevel", "warn"], {
      cwd: WEB_DIR,
      env: { ...process.env, ...env },
      maxBuffer: 16 << 20,
    });
  } catch (e) {
    throw new Error(`vite build in web/ failed:\n${e.stderr || e.stdout || e.message}`);
  }
  return outDir;
}

// ---------------------------------------------------------------------------
// Mail

/**
 * An SMTP server on 127.0.0.1 (random port) that keeps every message,
 * parsed. Latch sends to it without TLS or authentication.
 */
export async function startMailbox() {
  /** @type {import("mailparser").ParsedMail[]} */
  const messages = [];
  const taken = new Set();
  const waiters = new Set();
  const notify = () => {
    for (const w of waiters) w();
  };
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    banner: "latch e2e inbox",
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          messages.push(mail);
          notify();
          callback();
        })
        .catch(callback);
    },
  });
  server.on("error", () => {});
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const port = server.server.address().port;

  const recipients = (m) => (m.to?.value ?? []).map((a) => a.address?.toLowerCase());

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    /**
     * The first message to `to` whose subject matches `subject` and that no
     * earlier call returned; waits for it up to `timeout` ms.
     */
    async next({ to, subject }, timeout = 10_000) {
      const want = to.toLowerCase();
      const find = () =>
        messages.find((m) => !taken.has(m) && recipients(m).includes(want) && (!subject || subject.test(m.subject ?? "")));
      const deadline = Date.now() + timeout;
      let found = find();
      while (!found) {
        const left = deadline - Date.now();
        if (left <= 0) {
          const seen = messages.map((m) => `  to ${recipients(m).join(",")}: ${m.subject}`).join("\n") || "  (none)";
          throw new Error(`no mail to ${to} with subject ${subject} within ${timeout} ms; received:\n${seen}`);
        }
        await new Promise((resolve) => {
          const t = setTimeout(done, Math.min(left, 250));
          function done() {
            clearTimeout(t);
            waiters.delete(done);
            resolve();
          }
          waiters.add(done);
        });
        found = find();
      }
      taken.add(found);
      return found;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** The code in a verification, login or reset mail ("ABCD-EFGH"). */
export function codeFrom(mail) {
  const text = mail.text ?? "";
  const m = /code[^:\n]*:\s*\n\s*([A-Z0-9][A-Z0-9-]{3,})\s*$/im.exec(text);
  if (!m) throw new Error(`no code in the mail "${mail.subject}":\n${text}`);
  return m[1];
}

/** The first link in a mail's text whose path contains `pathPart`. */
export function linkFrom(mail, pathPart) {
  const text = mail.text ?? "";
  for (const m of text.matchAll(/https?:\/\/[^\s<>"]+/g)) {
    if (m[0].includes(pathPart)) return m[0];
  }
  throw new Error(`no link containing ${pathPart} in the mail "${mail.subject}":\n${text}`);
}

// ---------------------------------------------------------------------------
// Latch

/**
 * Starts `latch serve` on a free port with its own SQLite database in dir.
 * `env` adds or overrides settings. Resolves once GET /healthz answers 200.
 */
export async function startLatch({ bin, dir, smtpUrl, env = {}, host = "" }) {
  const port = await freePort();
  // A host name (e.g. localhost, which WebAuthn accepts as a relying-party
  // id where an IP address is refused) becomes LATCH_PUBLIC_URL.
  const url = `http://${host || "127.0.0.1"}:${port}`;
  const childEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("LATCH_")) childEnv[k] = v;
  Object.assign(childEnv, {
    LATCH_ADDR: `127.0.0.1:${port}`,
    LATCH_DATABASE_URL: `sqlite:${path.join(dir, "latch.db")}`,
    LATCH_SECRET_KEY: secretKey(),
    LATCH_EMAIL_URL: smtpUrl,
    LATCH_EMAIL_VERIFICATION_BY_CODE: "true",
    LATCH_ARGON2_MEMORY_KIB: "1024",
    LATCH_ARGON2_ITERATIONS: "1",
    LATCH_LOG_LEVEL: "warn",
    LATCH_SHUTDOWN_DELAY: "0", // no load balancer to warn: stop at once on SIGTERM
    ...(host ? { LATCH_PUBLIC_URL: url } : {}),
    ...env,
  });
  const child = spawn(bin, ["serve"], { cwd: dir, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let exited = null;
  const exit = new Promise((resolve) => child.once("exit", (code, signal) => resolve((exited = { code, signal }))));
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const stop = async () => {
    process.removeListener("exit", killOnExit);
    if (exited) return;
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exit;
    clearTimeout(t);
  };

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) throw new Error(`latch serve exited (${JSON.stringify(exited)}) before answering /healthz:\n${output}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`latch serve did not answer ${url}/healthz within 20 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, port, stop, output: () => output };
}

/** Whether Latch at `url` serves the web app (HTML for a client-side route). */
export async function servesWebApp(url) {
  try {
    const res = await fetch(`${url}/account/login`, { headers: { Accept: "text/html" } });
    const type = res.headers.get("content-type") ?? "";
    const body = await res.text();
    return res.status === 200 && type.includes("text/html") && body.includes('id="root"');
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// A static server for a built copy of the app (another origin)

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
};

/**
 * Serves files from a directory on 127.0.0.1 (random port), with the
 * single-page-app fallback: a path without a file extension gets
 * index.html. The directory can be set after starting (`setRoot`), so the
 * origin is known before the app is built.
 */
export async function startStaticServer(root = null) {
  let dir = root;
  const server = http.createServer(async (req, res) => {
    try {
      if (!dir) throw Object.assign(new Error("no root yet"), { status: 503 });
      const urlPath = decodeURIComponent(new URL(req.url, "http://x").pathname);
      const file = path.resolve(dir, `.${path.posix.normalize(urlPath)}`);
      if (!file.startsWith(path.resolve(dir))) throw Object.assign(new Error("outside"), { status: 403 });
      let target = file;
      const st = await stat(file).catch(() => null);
      if (!st || st.isDirectory()) {
        if (path.extname(urlPath) !== "") throw Object.assign(new Error("not found"), { status: 404 });
        target = path.join(dir, "index.html");
      }
      const body = await readFile(target);
      res.writeHead(200, {
        "Content-Type": TYPES[path.extname(target)] ?? "application/octet-stream",
        "Cache-Control": "no-cache",
      });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch (e) {
      res.writeHead(e.status ?? 500, { "Content-Type": "text/plain" });
      res.end(String(e.message));
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    setRoot: (d) => {
      dir = d;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------
// The browser

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export async function launchBrowser() {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * A fresh context and page at desktop size, with the page's errors and
 * failed API calls recorded (shown when a step fails).
 */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: DESKTOP, locale: "en-US", ...options });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  const page = await context.newPage();
  const log = [];
  page.on("pageerror", (e) => log.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") log.push(`console error: ${m.text()}`);
  });
  page.on("requestfailed", (r) => log.push(`request failed: ${r.method()} ${r.url()} (${r.failure()?.errorText})`));
  page.on("response", (r) => {
    if (r.status() >= 400 && r.url().includes("/_allauth/")) log.push(`${r.request().method()} ${r.url()} -> ${r.status()}`);
  });
  return { context, page, log };
}

let screenshotsReady = null;

/**
 * Screenshots of the page as it is, at desktop and phone width, into
 * e2e/screenshots/NAME-desktop.png and NAME-phone.png. Never fails a
 * test; E2E_SCREENSHOTS=0 turns them off.
 */
export async function snap(page, name) {
  if (process.env.E2E_SCREENSHOTS === "0") return;
  try {
    screenshotsReady ??= mkdir(SCREENSHOT_DIR, { recursive: true });
    await screenshotsReady;
    const before = page.viewportSize() ?? DESKTOP;
    await page.setViewportSize(DESKTOP);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-desktop.png`), fullPage: true, animations: "disabled" });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-phone.png`), fullPage: true, animations: "disabled" });
    await page.setViewportSize(before);
  } catch (e) {
    process.stderr.write(`(screenshot ${name} skipped: ${e.message})\n`);
  }
}

/** Removes the screenshots of an earlier run. */
export async function clearScreenshots() {
  if (process.env.E2E_SCREENSHOTS === "0") return;
  await rm(SCREENSHOT_DIR, { recursive: true, force: true });
}

/** What the page shows, for failure messages. */
export async function describePage(page, log = []) {
  let text = "";
  try {
    text = (await page.locator("body").innerText({ timeout: 1_000 })).replace(/\n{2,}/g, "\n").slice(0, 1_500);
  } catch {
    text = "(no body)";
  }
  return `page ${page.url()} shows:\n${text}${log.length ? `\nbrowser log:\n${log.slice(-15).join("\n")}` : ""}`;
}
