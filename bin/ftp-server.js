#!/usr/bin/env node
// cos-ftp-server: FTP in front of Tencent Cloud Object Storage. The code runs from dist/ (built by `npm ci`).
'use strict';
let cli;
try {
  cli = require('../dist/src/cli/main');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && /dist[\\/]src[\\/]cli[\\/]main/.test(String(err.message))) {
    process.stderr.write('ftp-server: not built yet; run "npm ci" (or "npm run build") first.\n');
    process.exit(1);
  }
  throw err;
}
cli.run(process.argv.slice(2));
