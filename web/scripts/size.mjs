// Prints the size of the JavaScript in dist/ as it is sent — the
// precompressed .gz and .br files the build wrote next to each asset — and
// fails when what the first page load fetches (the scripts and module
// preloads named in index.html, and the chunks they import statically) is
// over the budget in gzip bytes (what a browser without brotli receives), or
// when a script has no .gz or .br next to it. Run after a build: `npm run
// size` builds first.

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix } from "node:path";

const BUDGET = 110 * 1000; // bytes of the .gz files of the first load
const dist = new URL("../dist/", import.meta.url).pathname;

/** The size of a precompressed copy of file (ext ".gz" or ".br"); exits when it is missing. */
const packed = (file, ext) => {
  const p = join(dist, file + ext);
  if (!existsSync(p)) {
    console.error(`size: ${file}${ext} is missing (the build precompresses every asset)`);
    process.exit(1);
  }
  return statSync(p).size;
};
const kb = (n) => `${(n / 1000).toFixed(1)} kB`;

const allJs = readdirSync(join(dist, "assets"))
  .filter((f) => f.endsWith(".js"))
  .map((f) => `assets/${f}`)
  .sort();

// Entry points of the first load.
const html = readFileSync(join(dist, "index.html"), "utf8");
const refs = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+\.js)"/g)].map((m) =>
  m[1].replace(/^\//, ""),
);

// Follow static imports (`import … from "./x.js"`, `import "./x.js"`), not dynamic import().
const firstLoad = new Set();
const queue = [...refs];
while (queue.length > 0) {
  const file = queue.pop();
  if (firstLoad.has(file)) continue;
  firstLoad.add(file);
  const code = readFileSync(join(dist, file), "utf8");
  for (const m of code.matchAll(/(?:^|[;}\n])\s*import\s*(?:[\w${},*\s]+from\s*)?["']([^"']+\.js)["']/g)) {
    queue.push(posix.normalize(posix.join(posix.dirname(file), m[1])));
  }
}

let total = 0;
let first = 0;
let firstBr = 0;
let firstRaw = 0;
console.log(`${"raw".padStart(10)}${"gzip".padStart(10)}${"brotli".padStart(10)}`);
for (const f of allJs) {
  const raw = statSync(join(dist, f)).size;
  const size = packed(f, ".gz");
  const br = packed(f, ".br");
  total += size;
  const isFirst = firstLoad.has(f);
  if (isFirst) {
    first += size;
    firstBr += br;
    firstRaw += raw;
  }
  console.log(`${kb(raw).padStart(10)}${kb(size).padStart(10)}${kb(br).padStart(10)}  ${f}${isFirst ? "  (first load)" : ""}`);
}
console.log(`JavaScript in dist, gzip: ${kb(total)} in ${allJs.length} file(s)`);
console.log(`First load: ${kb(firstRaw)} raw, ${kb(first)} gzip, ${kb(firstBr)} brotli (budget ${kb(BUDGET)} gzip)`);
if (refs.length === 0) {
  console.error("size: index.html names no script");
  process.exit(1);
}
if (first > BUDGET) {
  console.error(`size: over budget by ${kb(first - BUDGET)}`);
  process.exit(1);
}
