// Median and spread of repeated measurements, and the number formats of the report.

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: number[]): Spread {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

export const MIB = 1024 * 1024;

/** `123.4 (118.0–125.2)`: median, then min–max when there was more than one value. */
export function fmtSpread(s: Spread, digits = 1, scale = 1): string {
  if (!s.n) return 'n/a';
  const f = (v: number): string => (v / scale).toFixed(digits);
  return s.n > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);
}

export function fmtBytes(bytes: number): string {
  if (bytes >= 1024 * MIB && bytes % (1024 * MIB) === 0) return `${bytes / (1024 * MIB)} GiB`;
  if (bytes >= MIB && bytes % MIB === 0) return `${bytes / MIB} MiB`;
  if (bytes >= MIB) return `${(bytes / MIB).toFixed(2)} MiB (${bytes.toLocaleString('en-US')} B)`;
  return `${bytes.toLocaleString('en-US')} B`;
}
