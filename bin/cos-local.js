#!/usr/bin/env node
'use strict';
// Local COS-compatible object store. Built code lives in dist/ (`npm run build`).
let cli;
try {
  cli = require('../dist/src/store/localcos/cli.js');
} catch (err) {
  process.stderr.write(`cos-local: cannot load dist/src/store/localcos/cli.js; run \`npm run build\` first (${err.message})\n`);
  process.exit(1);
}
cli.main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`cos-local: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  },
);
