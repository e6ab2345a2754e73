// The daemon's observability: the [METRICS] listener, the metrics it serves and the readiness behind /readyz.
// Started before the gateway (its hooks go into the gateway's options), attached to it once it runs.
import type { Logger } from 'pino';
import type { MetricsConfig } from '../config/types';
import type { GatewayContext, GatewayEvents } from '../ftp/context';
import { passivePorts } from '../ftp/passive-connector';
import type { RequestObserver } from '../store/index';
import { startMetricsListener } from './http';
import { DaemonMetrics } from './metrics';
import { Readiness } from './readiness';

export const METRICS_LISTEN_ERROR = 'EMETRICSLISTEN';

export interface Observability {
  /** For the gateway's options. */
  events: GatewayEvents;
  onStoreRequest: RequestObserver;
  /** The metrics port actually bound. */
  port: number;
  url: string;
  /** Starts reading the gateway's figures and re-checking its accounts. */
  attach(context: GatewayContext): void;
  close(): Promise<void>;
}

/** Binds the listener; fails (naming [METRICS] listen) when it cannot. */
export async function startObservability(config: MetricsConfig, logger: Logger): Promise<Observability> {
  const readiness = new Readiness(logger);
  const metrics = new DaemonMetrics({
    passivePortsInUse: () => passivePorts.inUse,
    accountStates: () => readiness.accountStates(),
  });
  let listener;
  try {
    listener = await startMetricsListener(config, metrics, readiness, logger);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'EADDRINUSE'
        ? 'the port is already in use'
        : code === 'EADDRNOTAVAIL'
          ? 'not an address of this machine'
          : code === 'EACCES'
            ? 'no permission to listen on it'
            : (e as Error).message;
    // A code of its own: main reports it in one line, like the FTP port's listen errors.
    throw Object.assign(new Error(`[METRICS] listen ${config.host}:${config.port}: ${why}`), { code: METRICS_LISTEN_ERROR });
  }
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    events: { ...metrics.events, accountChecked: readiness.record },
    onStoreRequest: metrics.onRequest,
    port: listener.port,
    url: `http://${host}:${listener.port}/metrics`,
    attach(context) {
      metrics.attach(context);
      readiness.start(context, config.checkIntervalMs);
    },
    async close() {
      readiness.stop();
      await listener.close();
    },
  };
}
