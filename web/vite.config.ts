/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig, loadEnv, type Plugin } from "vite";
import { compressDir } from "./scripts/compress.mjs";

/** After a build: dist/<file>.gz and .br next to each text file (scripts/compress.mjs). */
function precompress(): Plugin {
  let outDir = "dist";
  return {
    name: "latch-precompress",
    apply: "build",
    configResolved(c) {
      outDir = c.build.outDir;
    },
    closeBundle() {
      compressDir(outDir);
    },
  };
}

// npm run dev:
//  - VITE_LATCH_URL set (e.g. http://127.0.0.1:8000): the app calls Latch
//    cross-origin; Latch needs LATCH_CORS_ALLOWED_ORIGINS=<this page's origin>.
//  - VITE_LATCH_URL unset: the app calls its own origin and Vite proxies
//    /_allauth to LATCH_DEV_PROXY (default http://127.0.0.1:8000).
// npm run build: dist/, same-origin unless VITE_LATCH_URL was set.
export default defineConfig(({ mode, command }) => {
  const env = loadEnv(mode, ".", "");
  const proxyTarget = env.LATCH_DEV_PROXY || "http://127.0.0.1:8000";
  const crossOrigin = Boolean(env.VITE_LATCH_URL);
  return {
    base: "/",
    plugins: [react(), precompress()],
    server: {
      // Cookies belong to a host, not a port: in cross-origin mode the page
      // must be served from Latch's host so that it can read the csrftoken
      // cookie and the browser sends the SameSite=Lax session cookie.
      host: crossOrigin ? hostOf(env.VITE_LATCH_URL) : "localhost",
      port: 5173,
      strictPort: true,
      proxy: crossOrigin || command !== "serve" ? undefined : { "/_allauth": { target: proxyTarget } },
    },
    build: {
      outDir: "dist",
      emptyOutDir: true,
      sourcemap: false,
      target: "es2022",
      reportCompressedSize: false,
    },
    test: {
      include: ["src/**/*.test.{ts,tsx}"],
      passWithNoTests: true,
      environment: "node",
    },
  };
});

function hostOf(url: string | undefined): string {
  try {
    return new URL(url ?? "").hostname || "localhost";
  } catch {
    return "localhost";
  }
}
