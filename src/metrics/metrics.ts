// The Prometheus metrics of the daemon (prom-client), fed through small typed hooks: GatewayEvents for the FTP
// side, the store's RequestObserver for COS requests, and gauges read from the gateway context at scrape time.
// Only this folder imports prom-client. Labels are bounded: verbs from a fixed list, reply classes, directions,
// results, store operations and HTTP statuses; never file names, and accounts only in the readiness gauge.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GatewayContext, GatewayEvents } from '../ftp/context';
import type { RequestEvent, RequestObserver } from '../store/index';

/** Verbs counted under their own name; anything else a client sends is `OTHER` (no unbounded label values). */
const KNOWN_VERBS = new Set(
  ('ABOR ACCT ALLO APPE AUTH CCC CDUP CWD DELE EPRT EPSV FEAT HELP LIST MDTM MFMT MKD MLSD MLST MODE NLST NOOP ' +
    'OPTS PASS PASV PBSZ PORT PROT PWD QUIT REIN REST RETR RMD RNFR RNTO SITE SIZE STAT STOR STOU STRU SYST TYPE USER ' +
    'XCUP XCWD XMKD XPWD XRMD').split(' '),
);

/** Transfer durations, seconds: from a small file on a LAN to a large one over a slow line. */
const TRANSFER_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
/** COS request latencies, seconds. */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Per-account readiness gauges only up to this many accounts (one series each). */
const MAX_ACCOUNT_SERIES = 50;

/** Figures read at scrape time from outside the FTP event stream. */
export interface MetricsSources {
  /** Passive data ports listening now. */
  passivePortsInUse(): number;
  /** Per-account reachability (true = the last check passed), for /readyz and the readiness gauges. */
  accountStates(): Map<string, boolean>;
}

export class DaemonMetrics {
  readonly registry = new Registry();
  private context: GatewayContext | undefined;

  private readonly logins: Counter<'result'>;
  private readonly commands: Counter<'verb' | 'class'>;
  private readonly transfers: Counter<'direction' | 'result'>;
  private readonly transferBytes: Counter<'direction'>;
  private readonly transferSeconds: Histogram<'direction'>;
  private readonly cosRequests: Counter<'operation' | 'status'>;
  private readonly cosSeconds: Histogram<'operation'>;
  private readonly cosRetries: Counter<'operation'>;
  private readonly multipartAborted: Counter;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'cosftp_' });
    // Figures kept by the gateway are read when scraped rather than mirrored.
    const live = (): GatewayContext | undefined => this.context;
    const liveGauge = (name: string, help: string, read: () => number): void =>
      void new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    liveGauge('cosftp_sessions', 'FTP control connections open now', () => live()?.stats.sessions ?? 0);
    liveGauge('cosftp_transfers_running', 'Uploads and downloads running now', () => live()?.stats.transfers ?? 0);
    liveGauge('cosftp_passive_ports_in_use', 'Passive data ports listening now', () => sources.passivePortsInUse());
    liveGauge(
      'cosftp_upload_slots_in_use',
      'Part uploads in flight now (of upload_thread_num)',
      () => live()?.uploadSlots.inUse ?? 0,
    );
    liveGauge(
      'cosftp_upload_buffer_bytes',
      'Bytes held for upload parts now, across the server (within upload_buffer_size)',
      () => live()?.uploadBuffers.current ?? 0,
    );
    liveGauge(
      'cosftp_upload_buffer_limit_bytes',
      'upload_buffer_size: the most bytes all uploads may hold for their parts',
      () => live()?.uploadBuffers.capacity ?? 0,
    );
    liveGauge(
      'cosftp_upload_buffer_waiting',
      'Uploads waiting for upload buffer space now',
      () => live()?.uploadBuffers.waiting ?? 0,
    );
    liveGauge(
      'cosftp_accounts_ready',
      'Accounts whose bucket was reachable at the last check',
      () => [...sources.accountStates().values()].filter(Boolean).length,
    );
    new Gauge({
      name: 'cosftp_account_ready',
      help: `1 when the account's bucket was reachable at the last check (only with at most ${MAX_ACCOUNT_SERIES} accounts)`,
      labelNames: ['section'],
      registers,
      collect() {
        this.reset();
        const states = sources.accountStates();
        if (states.size > MAX_ACCOUNT_SERIES) return;
        for (const [section, ok] of states) this.set({ section }, ok ? 1 : 0);
      },
    });
    this.logins = new Counter({ name: 'cosftp_logins_total', help: 'Logins by result (ok, failed)', labelNames: ['result'], registers });
    this.commands = new Counter({
      name: 'cosftp_commands_total',
      help: 'FTP commands by verb and the class of their final reply (2xx, 4xx...)',
      labelNames: ['verb', 'class'],
      registers,
    });
    this.transfers = new Counter({
      name: 'cosftp_transfers_total',
      help: 'Finished transfers by direction (upload, download) and result (ok, failed)',
      labelNames: ['direction', 'result'],
      registers,
    });
    this.transferBytes = new Counter({
      name: 'cosftp_transfer_bytes_total',
      help: 'Bytes of file data received from clients (upload) and sent to them (download)',
      labelNames: ['direction'],
      registers,
    });
    this.transferSeconds = new Histogram({
      name: 'cosftp_transfer_duration_seconds',
      help: 'Transfer durations by direction',
      labelNames: ['direction'],
      buckets: TRANSFER_BUCKETS,
      registers,
    });
    this.cosRequests = new Counter({
      name: 'cosftp_cos_requests_total',
      help: 'HTTP requests to COS by operation and status (0: no answer), retries included',
      labelNames: ['operation', 'status'],
      registers,
    });
    this.cosSeconds = new Histogram({
      name: 'cosftp_cos_request_duration_seconds',
      help: 'COS request latency by operation',
      labelNames: ['operation'],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.cosRetries = new Counter({
      name: 'cosftp_cos_retries_total',
      help: 'COS requests that were retries of a failed one, by operation',
      labelNames: ['operation'],
      registers,
    });
    this.multipartAborted = new Counter({
      name: 'cosftp_multipart_uploads_aborted_total',
      help: 'Multipart uploads aborted (failed, cancelled or oversized uploads leave no parts behind)',
      registers,
    });
  }

  /** The gateway whose live figures the gauges read. */
  attach(context: GatewayContext): void {
    this.context = context;
  }

  /** The hooks the FTP side calls. */
  readonly events: Omit<GatewayEvents, 'accountChecked'> = {
    login: (ok) => this.logins.inc({ result: ok ? 'ok' : 'failed' }),
    command: (verb, replyCode) => {
      const name = verb.toUpperCase();
      this.commands.inc({ verb: KNOWN_VERBS.has(name) ? name : 'OTHER', class: `${Math.floor(replyCode / 100)}xx` });
    },
    transferEnded: ({ direction, ok, bytes, durationMs }) => {
      this.transfers.inc({ direction, result: ok ? 'ok' : 'failed' });
      if (bytes > 0) this.transferBytes.inc({ direction }, bytes);
      this.transferSeconds.observe({ direction }, durationMs / 1000);
    },
  };

  /** The store's observation point: one call per HTTP request to COS. */
  readonly onRequest: RequestObserver = (event: RequestEvent) => {
    const operation = event.operation;
    this.cosRequests.inc({ operation, status: String(event.status) });
    this.cosSeconds.observe({ operation }, event.durationMs / 1000);
    if (event.retry > 0) this.cosRetries.inc({ operation });
    if (operation === 'AbortMultipartUpload' && event.status >= 200 && event.status < 300) this.multipartAborted.inc();
  };
}
