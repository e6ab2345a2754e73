// Interpreting single configuration values; each returns a value or the reason it is not acceptable.
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

/** A whole decimal number (no units, no sign unless negative numbers are allowed by the caller's range). */
export function parseInteger(text: string, min: number, max: number): Parsed<number> {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return bad(`must be a whole number, got "${text}"`);
  const n = Number(t);
  if (!Number.isSafeInteger(n)) return bad(`is too large: ${text}`);
  if (n < min || n > max) return bad(`must be between ${min} and ${max}, got ${n}`);
  return ok(n);
}

/** A byte count: a whole number of bytes (as the original reads it). */
export function parseSize(text: string, min: number, max: number): Parsed<number> {
  if (!/^\s*-?\d+\s*$/.test(text)) return bad(`must be a number of bytes, got "${text}"`);
  return parseInteger(text, min, max);
}

/** ConfigParser's booleans (1/yes/true/on, 0/no/false/off) plus y/n, as the original's log_rotate_enabled. */
export function parseBoolean(text: string): Parsed<boolean> {
  const t = text.trim().toLowerCase();
  if (['1', 'yes', 'y', 'true', 'on'].includes(t)) return ok(true);
  if (['0', 'no', 'n', 'false', 'off'].includes(t)) return ok(false);
  return bad(`must be true or false, got "${text}"`);
}

/** One of the given words, case-insensitive; returns the canonical spelling. */
export function parseChoice<T extends string>(text: string, choices: readonly T[]): Parsed<T> {
  const t = text.trim().toLowerCase();
  const found = choices.find((c) => c.toLowerCase() === t);
  return found ? ok(found) : bad(`must be one of ${choices.join(', ')}, got "${text}"`);
}

/** `default` (any case) or empty means: resolve automatically. */
export function isDefaultToken(text: string): boolean {
  const t = text.trim().toLowerCase();
  return t === 'default' || t === '';
}

/** A dotted IPv4 address with four parts of 0-255. */
export function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** A DNS host name (letters, digits, hyphens, dots), not a malformed dotted quad. */
export function isHostName(text: string): boolean {
  if (/^[^.]+\.[^.]+\.[^.]+\.[^.]+$/.test(text) && text.split('.').every((p) => /^[0-9xX*]+$/.test(p))) return false;
  return /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(text);
}
