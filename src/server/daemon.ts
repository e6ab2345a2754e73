// The daemon's lifecycle around the gateway: ready line, status line, SIGINT/SIGTERM drain and exit.
import type { Logger } from 'pino';
import { formatAddressRange } from '../config/proxy';
import type { ServerConfig } from '../config/types';
import { checkAccounts } from './account-check';
import { DEFAULT_GRACE_MS, startGateway } from '../ftp/gateway';
import type { Gateway, GatewayOptions } from '../ftp/gateway';
import { startStatusLine } from './status';

export const DEFAULT_STATUS_INTERVAL_MS = 60_000;

export interface DaemonOptions {
  /** How long running transfers may take to finish after SIGINT/SIGTERM. */
  graceMs?: number;
  statusIntervalMs?: number;
  /** Runs after the gateway has closed (e.g. stop the quick start's local store). */
  onStopped?: () => Promise<void>;
  /** Called once listening, just before the ready line (e.g. to print the quick start's login). */
  onListening?: (port: number) => void;
  /** Extra fields for the ready line. */
  readyInfo?: Record<string, unknown>;
  /** Metrics and readiness hooks (src/metrics), passed to the gateway. */
  gateway?: Pick<GatewayOptions, 'events' | 'onStoreRequest'>;
}

export interface Daemon {
  gateway: Gateway;
  /** Resolves when the daemon has stopped (after a signal or stop()). */
  stopped: Promise<void>;
  stop(reason?: string): Promise<void>;
}

export async function startDaemon(config: ServerConfig, logger: Logger, options: DaemonOptions = {}): Promise<Daemon> {
  const gateway = await startGateway(config, logger, options.gateway);
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const stopStatus = startStatusLine(gateway.context, options.statusIntervalMs ?? DEFAULT_STATUS_INTERVAL_MS);

  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  let stopping: Promise<void> | undefined;
  const stop = (reason = 'stop requested'): Promise<void> => {
    stopping ??= (async () => {
      logger.info(
        { reason, sessions: gateway.context.stats.sessions, transfers: gateway.context.stats.transfers, graceMs },
        'shutting down: no new connections; waiting for running transfers',
      );
      stopStatus();
      try {
        await gateway.close(graceMs);
        if (options.onStopped) await options.onStopped();
      } catch (err) {
        logger.error({ err }, 'error while shutting down');
      }
      logger.info('stopped');
      removeSignalHandlers();
      resolveStopped();
    })();
    return stopping;
  };

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now, running transfers are cut');
      process.exit(1);
    }
    void stop(signal);
  };
  const removeSignalHandlers = (): void => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const { network } = config;
  options.onListening?.(gateway.port);
  logger.info(
    {
      address: network.listenAddress,
      port: gateway.port,
      ...(gateway.implicitTlsPort !== undefined ? { implicitTlsPort: gateway.implicitTlsPort } : {}),
      passivePorts: `${network.passivePortMin}-${network.passivePortMax}`,
      masqueradeAddress: network.masqueradeAddress ?? null,
      proxyTrusted: network.proxyProtocol?.trusted.map(formatAddressRange) ?? null,
      accounts: config.accounts.map((a) => ({ user: a.userName, bucket: a.bucket, authority: a.authority })),
      config: config.source,
      ...options.readyInfo,
    },
    `ready: FTP on ${network.listenAddress}:${gateway.port}`,
  );
  void checkAccounts(gateway.context.accounts, logger, gateway.context.events?.accountChecked);
  return { gateway, stopped, stop };
}
