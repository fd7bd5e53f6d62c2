#!/usr/bin/env node
// Runs the TypeScript CLI directly: tsx compiles it on load.
require("tsx/cjs");
require("./main.ts")
  .main(process.argv.slice(2), {
    stdout: text => process.stdout.write(text),
    stderr: text => process.stderr.write(text),
    readFile: path => require("node:fs").readFileSync(path, "utf8"),
  })
  .then(
    code => {
      process.exitCode = code;
    },
    error => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
