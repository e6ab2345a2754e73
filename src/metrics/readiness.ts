// /readyz: every account's bucket reachable. Fed by the start-up account check (and the one after a reload), then
// re-checked every check_interval seconds; a change (an account becoming unreachable, or reachable again) is logged.
import type { Logger } from 'pino';
import { checkAccount } from '../server/account-check';
import type { GatewayContext } from '../ftp/context';

interface AccountState {
  ok: boolean;
  problem?: string;
}

export class Readiness {
  private readonly states = new Map<string, AccountState>();
  private timer: NodeJS.Timeout | undefined;
  private context: GatewayContext | undefined;
  private readonly log: Logger;

  constructor(logger: Logger) {
    this.log = logger.child({ component: 'readiness' });
  }

  /** A check's result (start-up, reload, periodic); undefined problem = reachable. */
  readonly record = (section: string, problem: { message: string } | undefined): void => {
    this.states.set(section, { ok: problem === undefined, problem: problem?.message });
  };

  /** Re-checks the gateway's accounts every intervalMs (0 = never; the start-up check still counts). */
  start(context: GatewayContext, intervalMs: number): void {
    this.context = context;
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => void this.recheck(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async recheck(): Promise<void> {
    const accounts = this.context?.accounts ?? [];
    await Promise.all(
      accounts.map(async (a) => {
        const problem = await checkAccount(a);
        const before = this.states.get(a.account.section);
        this.record(a.account.section, problem);
        const where = { section: a.account.section, user: a.account.userName };
        if (problem && before?.ok !== false) this.log.warn({ ...where, status: problem.status, code: problem.code }, problem.message);
        if (!problem && before?.ok === false) this.log.info(where, `account check: [${a.account.section}] bucket reachable again`);
      }),
    );
  }

  /** Reachability of the configured accounts (results of accounts since removed are left out). */
  accountStates(): Map<string, boolean> {
    const result = new Map<string, boolean>();
    for (const { account } of this.context?.accounts ?? []) {
      const state = this.states.get(account.section);
      if (state) result.set(account.section, state.ok);
    }
    return result;
  }

  /** Ready when not draining and every configured account's last check passed; otherwise the reasons. */
  status(): { ready: boolean; reasons: string[] } {
    const context = this.context;
    if (!context) return { ready: false, reasons: ['starting'] };
    if (context.draining) return { ready: false, reasons: ['shutting down'] };
    const reasons: string[] = [];
    for (const { account } of context.accounts) {
      const state = this.states.get(account.section);
      if (!state) reasons.push(`[${account.section}] ${account.userName}: not checked yet`);
      else if (!state.ok) reasons.push(state.problem ?? `[${account.section}] unreachable`);
    }
    return { ready: reasons.length === 0, reasons };
  }
}
