// Fails when src/openapi.ts is not what openapi-typescript makes of
// httpapi/openapi.yaml today: the document changed and `npm run generate`
// was not run (tsc then checks the client against the new types).

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "latch-openapi-"));
try {
  const fresh = join(dir, "openapi.ts");
  execFileSync(join(root, "node_modules/.bin/openapi-typescript"), ["../../httpapi/openapi.yaml", "-o", fresh], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (readFileSync(fresh, "utf8") !== readFileSync(join(root, "src/openapi.ts"), "utf8")) {
    console.error("src/openapi.ts is out of date with httpapi/openapi.yaml: run `npm run generate` in clients/ts and commit it");
    process.exit(1);
  }
  console.log("src/openapi.ts matches httpapi/openapi.yaml");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
