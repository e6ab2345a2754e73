// Loading one of the Node-API addons that scripts/build-native.js compiles into dist/native/ (when the machine had a C
// compiler). Each caller has a fallback, so a missing addon is not an error and one that fails to load is a warning.
import fs from 'node:fs';
import path from 'node:path';

/**
 * dist/native/<name>.node's exports when it was built, loads, and `usable` accepts them; else undefined (with a
 * process warning naming `fallback` when the file exists but does not load).
 */
export function loadNativeAddon<T>(name: string, usable: (exports: Partial<T>) => boolean, fallback: string): T | undefined {
  const file = path.join(__dirname, '..', '..', 'native', `${name}.node`);
  if (!fs.existsSync(file)) return undefined;
  const module = { exports: {} as Partial<T> };
  try {
    process.dlopen(module, file);
  } catch (err) {
    process.emitWarning(`${file} did not load (${err instanceof Error ? err.message : String(err)}); ${fallback}`);
    return undefined;
  }
  return usable(module.exports) ? (module.exports as T) : undefined;
}
