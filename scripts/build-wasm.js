// Compiles the WebAssembly text sources under src/ into dist/src/ (beside the compiled JS that loads them).
// Run by `npm run build` after tsc; wabt is the WebAssembly Binary Toolkit's JS build (a dev dependency).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const SOURCES = ['src/util/crc64.wat'];

(async () => {
  const wabt = await require('wabt')();
  for (const source of SOURCES) {
    const text = fs.readFileSync(path.join(ROOT, source), 'utf8');
    const parsed = wabt.parseWat(source, text);
    parsed.resolveNames();
    parsed.validate();
    const { buffer } = parsed.toBinary({});
    parsed.destroy();
    const out = path.join(ROOT, 'dist', source.replace(/\.wat$/, '.wasm'));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, buffer);
  }
})().catch((err) => {
  console.error(`build-wasm: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
