// The layering rules of the source tree, checked on the import statements themselves: only src/store/ imports a
// storage SDK, only src/ftp/ imports ftp-srv, the file system and transfer layers import neither (nor anything
// above them), the store imports no layer above it, and no module imports itself through a circle.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

// Compiled to dist/test/layers/; the sources stay in the source tree.
const SRC = path.resolve(__dirname, '../../../src');

interface Module {
  /** Path under src/, without extension. */
  name: string;
  /** Other modules under src/ it imports (type-only imports included), and the packages it imports. */
  local: string[];
  packages: string[];
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

function resolveLocal(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return path.relative(SRC, candidate).replace(/\.ts$/, '');
  }
  return path.relative(SRC, base);
}

function readModules(): Map<string, Module> {
  const modules = new Map<string, Module>();
  const pattern = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+'([^']+)'|require\('([^']+)'\)|(?:^|\n)\s*import\s+'([^']+)'/g;
  for (const file of sourceFiles(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    const name = path.relative(SRC, file).replace(/\.ts$/, '');
    const mod: Module = { name, local: [], packages: [] };
    for (const m of text.matchAll(pattern)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith('.')) mod.local.push(resolveLocal(file, spec));
      else if (!spec.startsWith('node:')) mod.packages.push(spec);
    }
    modules.set(name, mod);
  }
  return modules;
}

const modules = readModules();
const layerOf = (name: string): string => name.split('/')[0];
const SDK = /^(cos-nodejs-sdk-v5|@aws-sdk\/|@smithy\/)/;

test('only src/store/ imports a storage SDK; only src/ftp/ imports ftp-srv', () => {
  const wrong: string[] = [];
  for (const m of modules.values()) {
    for (const p of m.packages) {
      if (SDK.test(p) && layerOf(m.name) !== 'store') wrong.push(`${m.name} imports ${p}`);
      if (/^ftp-srv(\/|$)/.test(p) && layerOf(m.name) !== 'ftp') wrong.push(`${m.name} imports ${p}`);
    }
  }
  assert.deepEqual(wrong, []);
  assert.ok([...modules.values()].some((m) => m.packages.some((p) => SDK.test(p))), 'the check sees the SDK imports');
});

test('lower layers import no upper one: filesystem and transfer not ftp/server/cli, store none of them', () => {
  const above: Record<string, string[]> = {
    filesystem: ['ftp', 'server', 'cli'],
    transfer: ['ftp', 'server', 'cli', 'filesystem'],
    store: ['ftp', 'server', 'cli', 'filesystem', 'transfer'],
    config: ['ftp', 'server', 'cli', 'filesystem', 'transfer', 'store'],
    util: ['ftp', 'server', 'cli', 'filesystem', 'transfer', 'store'],
  };
  const wrong: string[] = [];
  for (const m of modules.values()) {
    const banned = above[layerOf(m.name)] ?? [];
    for (const target of m.local) if (banned.includes(layerOf(target))) wrong.push(`${m.name} -> ${target}`);
  }
  assert.deepEqual(wrong, []);
});

test('no import circles', () => {
  const circles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'open');
    stack.push(name);
    for (const next of modules.get(name)?.local ?? []) {
      if (!modules.has(next)) continue;
      if (state.get(next) === 'open') circles.push([...stack.slice(stack.indexOf(next)), next].join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of [...modules.keys()].sort()) if (!state.has(name)) visit(name);
  assert.deepEqual(circles, []);
});
