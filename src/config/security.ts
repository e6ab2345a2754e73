// The [SECURITY] section: limits a client cannot talk its way past. Key names are vsftpd's where vsftpd has the
// setting (max_per_ip, max_login_fails and the four timeouts, with its defaults) and fail2ban's words for the
// per-address login ban, which vsftpd leaves to fail2ban.
import type { ProtocolLimits } from './types';
import type { Parsed } from './values';
import { parseInteger } from './values';

export const SECURITY_KEYS = [
  'max_per_ip',
  'max_login_fails',
  'ban_max_login_fails',
  'ban_find_time',
  'ban_time',
  'idle_session_timeout',
  'data_connection_timeout',
  'accept_timeout',
  'connect_timeout',
] as const;

export const DEFAULT_LIMITS: ProtocolLimits = {
  maxPerIp: 32,
  maxLoginFails: 3,
  banMaxLoginFails: 10,
  banFindTimeMs: 600_000,
  banTimeMs: 600_000,
  idleSessionTimeoutMs: 300_000,
  dataConnectionTimeoutMs: 300_000,
  acceptTimeoutMs: 60_000,
  connectTimeoutMs: 60_000,
};

/** The configuration key of each limit. */
export const LIMIT_KEYS: Record<keyof ProtocolLimits, (typeof SECURITY_KEYS)[number]> = {
  maxPerIp: 'max_per_ip',
  maxLoginFails: 'max_login_fails',
  banMaxLoginFails: 'ban_max_login_fails',
  banFindTimeMs: 'ban_find_time',
  banTimeMs: 'ban_time',
  idleSessionTimeoutMs: 'idle_session_timeout',
  dataConnectionTimeoutMs: 'data_connection_timeout',
  acceptTimeoutMs: 'accept_timeout',
  connectTimeoutMs: 'connect_timeout',
};

type Reader = <T>(section: string, key: string, parse: (text: string) => Parsed<T>, fallback: T) => T;

const DAY_S = 86_400;

/** Reads [SECURITY]; each bad value is a problem naming section and key (via `read`), the default stays. */
export function readLimits(read: Reader): ProtocolLimits {
  const seconds = (key: string, min: number, fallbackMs: number): number =>
    read('SECURITY', key, (t) => parseInteger(t, min, DAY_S), fallbackMs / 1000) * 1000;
  const d = DEFAULT_LIMITS;
  return {
    maxPerIp: read('SECURITY', 'max_per_ip', (t) => parseInteger(t, 0, 1_000_000), d.maxPerIp),
    maxLoginFails: read('SECURITY', 'max_login_fails', (t) => parseInteger(t, 1, 1000), d.maxLoginFails),
    banMaxLoginFails: read('SECURITY', 'ban_max_login_fails', (t) => parseInteger(t, 0, 1_000_000), d.banMaxLoginFails),
    banFindTimeMs: seconds('ban_find_time', 1, d.banFindTimeMs),
    banTimeMs: seconds('ban_time', 1, d.banTimeMs),
    idleSessionTimeoutMs: seconds('idle_session_timeout', 0, d.idleSessionTimeoutMs),
    dataConnectionTimeoutMs: seconds('data_connection_timeout', 0, d.dataConnectionTimeoutMs),
    acceptTimeoutMs: seconds('accept_timeout', 1, d.acceptTimeoutMs),
    connectTimeoutMs: seconds('connect_timeout', 1, d.connectTimeoutMs),
  };
}

/** The [SECURITY] lines of --check-config. */
export function describeLimits(l: ProtocolLimits): string[] {
  const s = (ms: number): string => `${ms / 1000}${ms === 0 ? ' (off)' : ''}`;
  return [
    '[SECURITY]',
    `max_per_ip = ${l.maxPerIp}${l.maxPerIp === 0 ? ' (unlimited)' : ''}`,
    `max_login_fails = ${l.maxLoginFails}`,
    `ban_max_login_fails = ${l.banMaxLoginFails}${l.banMaxLoginFails === 0 ? ' (no ban)' : ''}`,
    `ban_find_time = ${l.banFindTimeMs / 1000}`,
    `ban_time = ${l.banTimeMs / 1000}`,
    `idle_session_timeout = ${s(l.idleSessionTimeoutMs)}`,
    `data_connection_timeout = ${s(l.dataConnectionTimeoutMs)}`,
    `accept_timeout = ${l.acceptTimeoutMs / 1000}`,
    `connect_timeout = ${l.connectTimeoutMs / 1000}`,
  ];
}
