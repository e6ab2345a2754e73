// What a case produces: rows of repeated runs (each with the measured processes' usage) and ratios against targets.
import type { Usage } from './measure';
import { spread } from './stats';
import type { Spread } from './stats';

export interface Run {
  seconds: number;
  /** Payload bytes moved (0 for listings). */
  bytes: number;
  /** Entries listed, for listings. */
  count?: number;
  errors?: number;
  /** Usage per process name: the row's measured party, and the store. */
  usage: Record<string, Usage>;
}

export interface Row {
  label: string;
  /** Name of the process whose RSS and CPU the row reports (the server under test, or the SDK client). */
  party: string;
  runs: Run[];
  failures: string[];
}

export interface Ratio {
  name: string;
  value: number;
  /** e.g. '>= 0.9'; undefined for figures reported without a target. */
  target?: string;
  met?: boolean;
  detail?: string;
}

export interface CaseResult {
  id: string;
  title: string;
  /** Lines of prose under the title: what is measured, with which settings. */
  lines: string[];
  /** 'throughput' tables show MiB/s; 'time' tables (listings) show seconds and entries. */
  kind: 'throughput' | 'time' | 'memory';
  rows: Row[];
  ratios: Ratio[];
}

export function newRow(label: string, party: string): Row {
  return { label, party, runs: [], failures: [] };
}

export const throughputOf = (row: Row): Spread => spread(row.runs.map((r) => r.bytes / (1024 * 1024) / r.seconds));
export const secondsOf = (row: Row): Spread => spread(row.runs.map((r) => r.seconds));
export const peakOf = (row: Row, name = row.party): Spread => spread(row.runs.map((r) => r.usage[name]?.peakRss ?? NaN));
export const cpuOf = (row: Row, name = row.party): Spread => spread(row.runs.map((r) => r.usage[name]?.cpuSeconds ?? NaN));
/** CPU seconds of the party per GiB of payload it moved. */
export const cpuPerGiBOf = (row: Row, name = row.party): Spread =>
  spread(row.runs.map((r) => (r.bytes > 0 ? (r.usage[name]?.cpuSeconds ?? NaN) / (r.bytes / 1024 ** 3) : NaN)));
export const rssAfterOf = (row: Row, name = row.party): Spread => spread(row.runs.map((r) => r.usage[name]?.rssAfter ?? NaN));

/** Ratio of two medians with a `>=` or `<=` target. */
export function ratio(name: string, a: number, b: number, op?: '>=' | '<=', bound?: number, detail?: string): Ratio {
  const value = a / b;
  if (!op || bound === undefined) return { name, value, detail };
  const met = Number.isFinite(value) ? (op === '>=' ? value >= bound : value <= bound) : undefined;
  return { name, value, target: `${op} ${bound}`, met, detail };
}
