// Who may hold a session: max_connection_num over all, max_per_ip per client address, and a per-address ban after
// ban_max_login_fails failed logins within ban_find_time (for ban_time). Limits are read from the gateway's
// configuration on every decision, so a reload applies to the next connection. The client address is the
// session's `ip` (the PROXY header's when behind a balancer): the same for logs, limits, bans and data checks.
import type { Logger } from 'pino';
import type { GatewayContext } from './context';

export type Refusal = { reply: string; reason: string };

export class Admission {
  private readonly perAddress = new Map<string, number>();
  /** Times of recent failed logins per address (only those within ban_find_time are kept). */
  private readonly failures = new Map<string, number[]>();
  /** Banned addresses and until when. */
  private readonly banned = new Map<string, number>();

  constructor(
    private readonly context: GatewayContext,
    private readonly log: Logger,
  ) {}

  /** Sessions per address now (for metrics and tests). */
  sessionsOf(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  isBanned(address: string, now = Date.now()): boolean {
    const until = this.banned.get(address);
    if (until === undefined) return false;
    if (until > now) return true;
    this.banned.delete(address);
    return false;
  }

  /** Takes a slot for a new connection, or says why not (the 421 line to send). */
  admit(address: string): Refusal | undefined {
    const { config, stats } = this.context;
    if (this.context.draining) return { reply: '421 Server is shutting down.', reason: 'draining' };
    if (this.isBanned(address)) {
      return { reply: '421 Too many failed logins from your address; try again later.', reason: 'banned' };
    }
    const cap = config.maxConnectionNum;
    if (cap > 0 && stats.sessions >= cap) return { reply: '421 Too many connections, try again later.', reason: 'max_connection_num' };
    const perIp = config.limits.maxPerIp;
    if (perIp > 0 && this.sessionsOf(address) >= perIp) {
      return { reply: '421 Too many connections from your address.', reason: 'max_per_ip' };
    }
    this.perAddress.set(address, this.sessionsOf(address) + 1);
    stats.sessions++;
    return undefined;
  }

  /** Gives back the slot of an admitted connection. */
  release(address: string): void {
    const n = this.sessionsOf(address) - 1;
    if (n > 0) this.perAddress.set(address, n);
    else this.perAddress.delete(address);
    this.context.stats.sessions--;
  }

  /** Counts a failed login; true when the address is banned by it (the caller closes the connection). */
  loginFailed(address: string, now = Date.now()): boolean {
    const { banMaxLoginFails, banFindTimeMs, banTimeMs } = this.context.config.limits;
    if (banMaxLoginFails <= 0) return false;
    const recent = (this.failures.get(address) ?? []).filter((t) => t > now - banFindTimeMs);
    recent.push(now);
    if (recent.length < banMaxLoginFails) {
      this.failures.set(address, recent);
      this.forgetOldFailures(now, banFindTimeMs);
      return false;
    }
    this.failures.delete(address);
    this.banned.set(address, now + banTimeMs);
    // A fixed message with the address as a field: README shows the fail2ban filter that matches it.
    this.log.warn({ ip: address, failures: recent.length, banSeconds: banTimeMs / 1000 }, 'address banned');
    return true;
  }

  /** Keeps the failure map bounded: addresses whose failures are all older than the window go. */
  private forgetOldFailures(now: number, windowMs: number): void {
    if (this.failures.size < 10_000) return;
    for (const [address, times] of this.failures) {
      if (times[times.length - 1] <= now - windowMs) this.failures.delete(address);
    }
  }
}

const admissions = new WeakMap<object, Admission>();

/** Ties an Admission to an ftp-srv server instance, so command handlers find theirs. */
export function registerAdmission(server: object, admission: Admission): void {
  admissions.set(server, admission);
}

export function admissionOf(session: { server?: object } | undefined): Admission | undefined {
  return session?.server ? admissions.get(session.server) : undefined;
}
