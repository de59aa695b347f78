// Precompresses a build: writes <file>.gz and <file>.br next to every text
// file in a directory (when that makes it smaller), for web/embed.go to serve
// by Accept-Encoding. Node's own zlib at fixed settings, with no file names
// or times in the output: the same input gives the same bytes, so the CI
// check that dist/ matches a fresh build keeps working.

import { readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

/** Extensions worth compressing (images and fonts are compressed already). */
export const COMPRESSIBLE = /\.(?:html|js|mjs|css|svg|json|map|txt|webmanifest|wasm)$/;

/** The gzip bytes of a file, deterministic (mtime 0, no name). */
export function gzip(body) {
  return gzipSync(body, { level: 9 });
}

/** The brotli bytes of a file, at the highest quality. */
export function brotli(body) {
  return brotliCompressSync(body, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  });
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** Compresses every compressible file under dir; returns what it wrote. */
export function compressDir(dir) {
  const written = [];
  for (const p of walk(dir)) {
    if (p.endsWith(".gz") || p.endsWith(".br")) unlinkSync(p); // stale, from an earlier build
  }
  for (const p of walk(dir)) {
    if (!COMPRESSIBLE.test(p)) continue;
    const body = readFileSync(p);
    for (const [ext, fn] of [
      [".gz", gzip],
      [".br", brotli],
    ]) {
      const packed = fn(body);
      if (packed.length >= body.length) continue;
      writeFileSync(p + ext, packed);
      written.push({ file: p + ext, size: packed.length, original: body.length });
    }
  }
  return written;
}
