// Prints the gzipped size of the JavaScript in dist/ and fails when what
// the first page load fetches (the scripts and module preloads named in
// index.html, and the chunks they import statically) is over the budget.
// Run after a build: `npm run size` builds first.

import { readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET = 150 * 1000; // bytes, gzipped
const dist = new URL("../dist/", import.meta.url).pathname;

const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
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
for (const f of allJs) {
  const size = gz(f);
  total += size;
  const isFirst = firstLoad.has(f);
  if (isFirst) first += size;
  console.log(`${kb(size).padStart(10)}  ${f}${isFirst ? "  (first load)" : ""}`);
}
console.log(`JavaScript in dist, gzipped: ${kb(total)} in ${allJs.length} file(s)`);
console.log(`First load, gzipped: ${kb(first)} (budget ${kb(BUDGET)})`);
if (refs.length === 0) {
  console.error("size: index.html names no script");
  process.exit(1);
}
if (first > BUDGET) {
  console.error(`size: over budget by ${kb(first - BUDGET)}`);
  process.exit(1);
}
