// SIGHUP: re-read the configuration file and apply what can change without a restart. Accounts and limits apply to
// new logins and new commands; a session keeps the account it logged in with (even one since removed), and running
// transfers keep the limits they started with. A file with problems is refused as a whole: the running
// configuration stays. Keys fixed at start (sockets, thread pool, log file) are reported as needing a restart.
import type { Logger } from 'pino';
import { ConfigError, loadConfigFile } from '../config/load';
import { checkResources } from '../config/memory-check';
import { describeDiff, diffConfig, isEmptyDiff, sameAccount } from '../config/reload-diff';
import type { ServerConfig } from '../config/types';
import { checkAccounts } from './account-check';
import type { AccountContext } from '../ftp/context';
import type { Gateway } from '../ftp/gateway';

/** Loads `file` as at start-up and, when it is good, applies it to the gateway; logs the outcome. */
export async function reloadConfig(gateway: Gateway, file: string, logger: Logger): Promise<boolean> {
  const log = logger.child({ component: 'reload' });
  let next: ServerConfig;
  try {
    const loaded = loadConfigFile(file);
    const problems = await checkResources(loaded.config);
    if (problems.length) throw new ConfigError(file, problems, loaded.warnings);
    next = loaded.config;
    for (const w of loaded.warnings) log.warn(w);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // The same lines --check-config prints, so the operator can run it to see them again.
    log.error(
      { file, problems: e.problems, warnings: e.warnings },
      `configuration not reloaded: ${e.message.replace(/\n/g, ' ')}; the running configuration stays`,
    );
    return false;
  }

  const { context } = gateway;
  const diff = diffConfig(context.config, next);
  // Keys fixed at start keep their running values, so context.config says what really runs.
  const current = context.config;
  const tls = current.network.tls && next.network.tls ? next.network.tls : current.network.tls;
  // First, as it may still fail (a certificate file replaced since it was checked): then nothing has changed.
  if (tls) gateway.applyTls(tls);
  const previous = new Map(context.accounts.map((a) => [a.account.section, a]));
  const fresh: AccountContext[] = [];
  // An unchanged account keeps its store (and its connections); sessions hold the context they logged in with.
  context.accounts = next.accounts.map((account) => {
    const before = previous.get(account.section);
    if (before && sameAccount(before.account, account)) return before;
    const opened = gateway.openAccount(account);
    fresh.push(opened);
    return opened;
  });
  context.config = {
    ...next,
    network: { ...current.network, tls },
    // The server-wide part slots and upload buffer are made once: their sizes, and what is derived from them, stay.
    transfer: {
      ...next.transfer,
      uploadThreadNum: current.transfer.uploadThreadNum,
      partsPerUpload: current.transfer.partsPerUpload,
      uploadBufferSize: current.transfer.uploadBufferSize,
    },
    log: current.log,
    metrics: current.metrics,
  };

  log.info(
    { file, ...describeDiff(diff), tlsReread: tls !== undefined },
    isEmptyDiff(diff) ? 'configuration reloaded: nothing changed' : 'configuration reloaded',
  );
  if (diff.restartRequired.length) {
    log.warn({ restartRequired: diff.restartRequired }, `restart needed to apply: ${diff.restartRequired.join('; ')}`);
  }
  for (const { account } of fresh) {
    if (account.passwordScheme === 'plain') {
      log.warn({ section: account.section, user: account.userName }, plainPasswordWarning(account.section));
    }
  }
  void checkAccounts(fresh, logger, context.events?.accountChecked);
  return true;
}

export function plainPasswordWarning(section: string): string {
  return `[${section}] ftp_login_user_password is a plain-text password; store its hash instead (node bin/ftp-server.js --hash-password)`;
}

/** Reloads on every SIGHUP (one at a time); returns a function that stops listening. */
export function reloadOnSignal(gateway: Gateway, file: string, logger: Logger): () => void {
  let running: Promise<unknown> = Promise.resolve();
  const onSignal = (): void => {
    logger.info({ file, signal: 'SIGHUP' }, 'reloading the configuration');
    running = running.then(() =>
      reloadConfig(gateway, file, logger).catch((err: unknown) => logger.error({ err }, 'reload failed')),
    );
  };
  process.on('SIGHUP', onSignal);
  return () => void process.removeListener('SIGHUP', onSignal);
}
