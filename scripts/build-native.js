// Compiles the Node-API addons in native/ into dist/native/*.node with the system's C compiler ($CC, else cc)
// against the headers of the node that runs this script — nothing is downloaded. Run by `npm run build`. Optional:
// without a compiler or headers, or when a compile fails, it prints one warning per addon and succeeds, and the
// code that loads the addon falls back:
// - crc64.c (hardware CRC-64): src/util/crc64.ts uses the WebAssembly (else JS) CRC-64;
// - memory.c (giving idle buffers' pages back): src/util/memory-pages.ts reports it cannot, and idle buffers
//   are dropped and reallocated instead (a collection frees them).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const ADDONS = [
  { name: 'crc64', fallback: 'CRC-64 falls back to WebAssembly (slower, more CPU per byte)' },
  { name: 'memory', fallback: 'idle buffers are dropped and reallocated instead of kept without their pages (more CPU after idle)' },
];

function build({ name, fallback }) {
  const SOURCE = path.join(ROOT, 'native', `${name}.c`);
  const OUT = path.join(ROOT, 'dist', 'native', `${name}.node`);
  const warn = (reason) => console.warn(`build-native: warning: ${name}.c: ${reason}; ${fallback}`);
  const include = path.join(path.dirname(process.execPath), '..', 'include', 'node');
  if (!fs.existsSync(path.join(include, 'node_api.h'))) return warn(`no Node-API headers in ${include}`);
  fs.rmSync(OUT, { force: true });
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  const args = ['-O2', '-std=c11', '-fPIC', '-shared', '-fvisibility=hidden', '-Wall', '-Wextra', '-I', include, '-o', OUT, SOURCE];
  // $CC when set; else cc, else gcc (a system where only the latter is on PATH).
  const compilers = process.env.CC ? [process.env.CC] : ['cc', 'gcc'];
  let cc = compilers[0];
  let run = spawnSync(cc, args, { encoding: 'utf8' });
  for (const other of compilers.slice(1)) {
    if (!run.error) break;
    cc = other;
    run = spawnSync(cc, args, { encoding: 'utf8' });
  }
  if (run.error) return warn(`cannot run a C compiler (${compilers.join(', ')}: ${run.error.code ?? run.error.message})`);
  if (run.status !== 0) {
    const firstError = (run.stderr || '').split('\n').find((line) => /error/i.test(line)) ?? `exit ${run.status}`;
    return warn(`'${cc}' failed: ${firstError.trim()}`);
  }
  if (run.stderr.trim()) process.stderr.write(run.stderr);
}

for (const addon of ADDONS) build(addon);
