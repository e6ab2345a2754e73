// The optional [METRICS] section: a separate HTTP listener with /metrics (Prometheus text format), /healthz and
// /readyz. Off unless `listen` is set; meant for a private address (loopback, or the monitoring network).
import { isIPv4, isIPv6 } from 'node:net';
import { parseInteger } from './values';
import type { Parsed } from './values';

export const METRICS_KEYS = ['listen', 'check_interval'] as const;

/** Seconds between the account checks behind /readyz. */
export const DEFAULT_CHECK_INTERVAL_S = 60;

/** `127.0.0.1:9121`, `[::1]:9121` or `:9121` (every address); port 0 picks a free one (tests). */
export function parseListen(text: string): Parsed<{ host: string; port: number }> {
  const t = text.trim();
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d+)$/.exec(t);
  const bad = { ok: false as const, reason: `must be address:port, e.g. 127.0.0.1:9121 or [::1]:9121; got "${text}"` };
  if (!m) return bad;
  const host = m[1] ?? (m[2] || '0.0.0.0');
  if (m[1] !== undefined ? !isIPv6(host) : !isIPv4(host)) return bad;
  const port = parseInteger(m[3], 0, 65535);
  if (!port.ok) return { ok: false, reason: `port ${port.reason}` };
  return { ok: true, value: { host, port: port.value } };
}

export function parseCheckInterval(text: string): Parsed<number> {
  return parseInteger(text, 0, 86_400);
}
