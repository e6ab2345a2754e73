// bin/ftp-server.js: reads the options and the configuration, then runs the daemon (or the quick start).
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, loadConfigFile } from '../config/load';
import type { LoadedConfig } from '../config/load';
import { checkResources } from '../config/memory-check';
import { createDaemonLogger } from '../log/logger';
import type { DaemonLogger } from '../log/logger';
import { METRICS_LISTEN_ERROR, startObservability } from '../metrics/index';
import type { Observability } from '../metrics/index';
import { startDaemon } from '../server/daemon';
import { plainPasswordWarning, reloadOnSignal } from '../server/reload';
import { USAGE, UsageError, parseArgs } from './args';
import type { CliOptions } from './args';
import { describeConfig } from './describe';
import { hashPasswordFromInput } from './hash-password';
import { quickStartBanner, startQuickStart } from './quick-start';

/** Install root: dist/src/cli -> repository root. */
const ROOT = path.resolve(__dirname, '../../..');
export const DEFAULT_CONFIG_PATH = path.join(ROOT, 'conf', 'vsftpd.conf');

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_CONFIG = 2;

function version(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const err = (text: string): void => void process.stderr.write(`${text}\n`);
const out = (text: string): void => void process.stdout.write(`${text}\n`);

/** Runs the command line; resolves with the exit status once the server has stopped (or failed to start). */
export async function main(argv: string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`ftp-server: ${e.message}\n\n${USAGE}`);
      return EXIT_BAD_CONFIG;
    }
    throw e;
  }
  if (options.help) {
    out(USAGE);
    return EXIT_OK;
  }
  if (options.version) {
    out(`cos-ftp-server ${version()}`);
    return EXIT_OK;
  }
  if (options.hashPassword) {
    try {
      out(await hashPasswordFromInput(options.hashPassword));
      return EXIT_OK;
    } catch (e) {
      err(`ftp-server: --hash-password: ${(e as Error).message}`);
      return EXIT_FAILURE;
    }
  }

  const configPath = options.config ? path.resolve(options.config) : DEFAULT_CONFIG_PATH;
  if (!options.config && !fs.existsSync(configPath)) return runQuickStart(options);
  const quickOnly = [
    ['--port', options.port],
    ['--listen', options.listen],
    ['--data', options.dataDir],
  ].filter(([, value]) => value !== undefined);
  if (quickOnly.length) {
    // Silently ignoring them would start the server somewhere the operator did not ask for.
    err(
      `ftp-server: ${quickOnly.map(([flag]) => flag).join(', ')}: quick start only, and ${configPath} is used; ` +
        'set [NETWORK] listen_port and listen_address there instead',
    );
    return EXIT_BAD_CONFIG;
  }

  let loaded: LoadedConfig;
  try {
    loaded = loadConfigFile(configPath);
    const problems = await checkResources(loaded.config);
    if (problems.length) throw new ConfigError(configPath, problems, loaded.warnings);
  } catch (e) {
    if (e instanceof ConfigError) {
      err(`ftp-server: ${e.message}`);
      for (const w of e.warnings) err(`warning: ${w}`);
      return EXIT_BAD_CONFIG;
    }
    throw e;
  }
  const { config, warnings } = loaded;
  if (options.checkConfig) {
    out(describeConfig(config));
    for (const w of warnings) err(`warning: ${w}`);
    out(`\n# configuration OK (${config.accounts.length} account(s))`);
    return EXIT_OK;
  }

  let log: DaemonLogger;
  try {
    log = createDaemonLogger(config.log);
  } catch (e) {
    err(`ftp-server: [OPTIONAL] log_dir: cannot write ${config.log.dir}: ${(e as Error).message}`);
    return EXIT_BAD_CONFIG;
  }
  logProcessFailures(log.logger);
  const stopReopening = reopenLogOnSignal(log);
  for (const w of warnings) log.logger.warn(w);
  for (const a of config.accounts) {
    if (a.passwordScheme === 'plain') {
      log.logger.warn({ section: a.section, user: a.userName }, plainPasswordWarning(a.section));
    }
  }
  let observability: Observability | undefined;
  try {
    observability = config.metrics ? await startObservability(config.metrics, log.logger) : undefined;
    const daemon = await startDaemon(config, log.logger, {
      graceMs: options.graceSeconds === undefined ? undefined : options.graceSeconds * 1000,
      statusIntervalMs: options.statusSeconds === undefined ? undefined : options.statusSeconds * 1000,
      readyInfo: { logFile: log.file, ...(observability && { metrics: observability.url }) },
      gateway: observability && { events: observability.events, onStoreRequest: observability.onStoreRequest },
    });
    observability?.attach(daemon.gateway.context);
    const stopReloading = reloadOnSignal(daemon.gateway, configPath, log.logger);
    await daemon.stopped;
    stopReloading();
    return EXIT_OK;
  } catch (e) {
    const why = describeStartError(e, config.network, '[NETWORK] listen_port');
    logStartFailure(log.logger, e, why);
    err(`ftp-server: cannot start: ${why}`);
    return EXIT_FAILURE;
  } finally {
    await observability?.close();
    stopReopening();
    log.close();
  }
}

async function runQuickStart(options: CliOptions): Promise<number> {
  if (options.checkConfig) {
    out(`No configuration file at ${DEFAULT_CONFIG_PATH}: "npm start" runs the quick start (local store under ./data).`);
    return EXIT_OK;
  }
  let quick;
  try {
    quick = await startQuickStart({ port: options.port, listen: options.listen, dataDir: options.dataDir });
  } catch (e) {
    err(`ftp-server: cannot start the quick start's local store: ${(e as Error).message}`);
    return EXIT_FAILURE;
  }
  const log = createDaemonLogger(quick.config.log);
  logProcessFailures(log.logger);
  const stopReopening = reopenLogOnSignal(log);
  try {
    const store = quick.store;
    const daemon = await startDaemon(quick.config, log.logger, {
      graceMs: options.graceSeconds === undefined ? undefined : options.graceSeconds * 1000,
      statusIntervalMs: options.statusSeconds === undefined ? undefined : options.statusSeconds * 1000,
      onStopped: () => store.close(),
      onListening: (port) => out(quickStartBanner(quick, port)),
      readyInfo: { quickStart: true, dataDir: quick.dataDir, user: 'demo', logFile: log.file },
    });
    await daemon.stopped;
    return EXIT_OK;
  } catch (e) {
    const why = describeStartError(e, quick.config.network, '--port');
    logStartFailure(log.logger, e, why);
    err(`ftp-server: cannot start: ${why}`);
    await quick.store.close();
    return EXIT_FAILURE;
  } finally {
    stopReopening();
    log.close();
  }
}

/**
 * SIGUSR1 reopens the log file by its name: after an external logrotate has moved cos_v5.log, new lines go to a new
 * file instead of the moved one. (Node's default for SIGUSR1, starting the inspector, is not wanted in a daemon.)
 */
function reopenLogOnSignal(log: DaemonLogger): () => void {
  const onSignal = (): void => {
    try {
      log.reopen();
      log.logger.info({ file: log.file, signal: 'SIGUSR1' }, 'log file reopened');
    } catch (e) {
      err(`ftp-server: SIGUSR1: cannot reopen ${log.file}: ${(e as Error).message}`);
    }
  };
  process.on('SIGUSR1', onSignal);
  return () => void process.removeListener('SIGUSR1', onSignal);
}

/**
 * A bug in one session must be visible in the log file. An uncaught exception leaves the process in an unknown
 * state, so it is logged and the process exits 1 (a supervisor restarts it); a stray rejected promise is logged and
 * the other sessions carry on.
 */
function logProcessFailures(logger: Logger): void {
  process.on('uncaughtException', (e) => {
    logger.fatal({ err: e }, 'uncaught exception; exiting');
    process.exit(EXIT_FAILURE);
  });
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'unhandled promise rejection');
  });
}

const LISTEN_ERRORS = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', METRICS_LISTEN_ERROR]);

/** What to fix, naming the setting: the listen errors an operator meets; anything else as its message. */
function describeStartError(e: unknown, network: { listenAddress: string; listenPort: number }, portSetting: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  const port = network.listenPort;
  if (code === 'EADDRINUSE') return `${portSetting} ${port}: the port is already in use (another server running?)`;
  if (code === 'EACCES') return `${portSetting} ${port}: no permission to listen on it (ports below 1024 need root)`;
  if (code === 'EADDRNOTAVAIL') {
    return `[NETWORK] listen_address ${network.listenAddress} is not an address of this machine`;
  }
  return (e as Error).message ?? String(e);
}

/** A listen error is the operator's to fix: one line, no stack; anything else is logged whole. */
function logStartFailure(logger: Logger, e: unknown, why: string): void {
  const code = (e as NodeJS.ErrnoException).code;
  if (code !== undefined && LISTEN_ERRORS.has(code)) logger.fatal({ code }, `cannot start: ${why}`);
  else logger.fatal({ err: e }, 'cannot start');
}

/** Entry point of bin/ftp-server.js: exits with main's status; an unexpected error prints one line, no stack. */
export function run(argv: string[]): void {
  main(argv).then(
    (code) => process.exit(code),
    (e: unknown) => {
      err(`ftp-server: ${(e as Error)?.message ?? String(e)}`);
      if (process.env.DEBUG) err(String((e as Error)?.stack));
      process.exit(EXIT_FAILURE);
    },
  );
}
