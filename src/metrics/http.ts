// The [METRICS] listener: GET /metrics (Prometheus text format), /healthz (the process answers), /readyz (every
// account's bucket reachable and not shutting down). Nothing else; it never serves files or accepts writes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { MetricsConfig } from '../config/types';
import type { DaemonMetrics } from './metrics';
import type { Readiness } from './readiness';

export interface MetricsListener {
  /** The port bound (port 0 in the configuration picks a free one). */
  port: number;
  close(): Promise<void>;
}

export async function startMetricsListener(
  config: MetricsConfig,
  metrics: DaemonMetrics,
  readiness: Readiness,
  logger: Logger,
): Promise<MetricsListener> {
  const log = logger.child({ component: 'metrics' });
  const server = http.createServer((req, res) => {
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return send(200, 'ok\n');
    if (path === '/readyz') {
      const { ready, reasons } = readiness.status();
      return send(ready ? 200 : 503, ready ? 'ready\n' : `not ready:\n${reasons.map((r) => `- ${r}\n`).join('')}`);
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => send(200, text, metrics.registry.contentType),
        (err: unknown) => {
          log.error({ err }, 'metrics collection failed');
          send(500, 'metrics collection failed\n');
        },
      );
      return undefined;
    }
    return send(404, 'not found: /metrics, /healthz, /readyz\n');
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  // A scraper's keep-alive connection must not hold the process open after shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'metrics listener error'));
  const port = (server.address() as AddressInfo).port;
  log.info({ address: config.host, port }, `metrics on http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/metrics`);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
