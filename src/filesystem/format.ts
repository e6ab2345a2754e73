// How entries are written: `ls -l` lines (LIST, STAT), RFC 3659 facts (MLSD, MLST) and MDTM timestamps.
import type { AccountConfig } from '../config/types';
import { modeString, permFact } from './permissions';

export interface Entry {
  name: string;
  type: 'file' | 'dir';
  size: number;
  /** Milliseconds since the epoch; undefined for directories known only by their prefix. */
  mtime?: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HALF_YEAR_MS = 182 * 24 * 3600 * 1000;

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `YYYYMMDDHHMMSS` in UTC (MDTM, and the MLSx `modify` fact). */
export function timeVal(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}` +
    `${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}`
  );
}

/** `ls` dates: `Nov  4 11:35` within half a year of now, else `Nov  4  2025` (UTC). */
export function lsDate(ms: number, now: number): string {
  const d = new Date(ms);
  const head = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')}`;
  const recent = Math.abs(now - ms) < HALF_YEAR_MS;
  return recent ? `${head} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}` : `${head}  ${d.getUTCFullYear()}`;
}

/** One `ls -l` line (directories without a time show `now`, as most object-storage gateways do). */
export function lsLine(entry: Entry, account: AccountConfig, now: number): string {
  const size = String(entry.type === 'dir' ? 0 : entry.size).padStart(12, ' ');
  return `${modeString(account, entry.type)} 1 ftp ftp ${size} ${lsDate(entry.mtime ?? now, now)} ${entry.name}`;
}

/** RFC 3659 facts and the name: `type=file;size=3;modify=20261124113500;perm=rw; name`. */
export function mlsxLine(entry: Entry, account: AccountConfig, name = entry.name, type: string = entry.type): string {
  const facts = [`type=${type}`];
  if (entry.type === 'file') facts.push(`size=${entry.size}`);
  if (entry.mtime !== undefined) facts.push(`modify=${timeVal(entry.mtime)}`);
  facts.push(`perm=${permFact(account, entry.type)}`);
  return `${facts.join(';')}; ${name}`;
}
