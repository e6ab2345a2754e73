// Every HTTP request the COS SDK makes for a store call passes here: it is observed (operation, status, duration,
// retry) and it can be destroyed when the call is cancelled. The SDK hands out no request handle, but it emits
// 'before-send' with the options it is about to pass to its HTTP library; requests tagged with a call's header get
// an agent there that records the request and hands it on to one shared keep-alive agent (so connections are still
// reused across calls). The shared agents have no socket limit: the SDK queues nothing; the callers' own semaphores
// (upload slots, parts per upload) are the only bound on concurrency. GetObject goes through the store's own client
// (get-object.ts); its requests join their call through `track`.
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type COS from 'cos-nodejs-sdk-v5';
import { type RequestObserver, classify } from '../object-store';
import type { ExchangeObserver } from './http-exchange';

/** Not signed by the SDK (no `x-cos-` in it) and removed before sending. */
const TAG = 'x-gateway-call';

/** Node's agents as ClientRequest uses them (these members are real but missing from the typings). */
type NodeAgent = http.Agent & {
  protocol: string;
  defaultPort: number;
  addRequest(req: http.ClientRequest, options: unknown): void;
};

const sharedHttp = new http.Agent({ keepAlive: true }) as NodeAgent;
const sharedHttps = new https.Agent({ keepAlive: true }) as unknown as NodeAgent;

interface OutgoingOptions {
  url?: string;
  headers?: Record<string, unknown>;
  agent?: unknown;
}

/** Functions among a request's options that net.connect / tls.connect use. */
const CONNECTION_HOOKS = new Set(['lookup', 'checkServerIdentity']);

/**
 * The part of a request's options that says how to connect: strings, numbers, booleans, Buffers and lists of
 * strings or Buffers (certificates), and the DNS / certificate-check hooks. The SDK's HTTP layer (the `request`
 * package) hands the agent a copy of its whole request object (event handlers, the body stream, the response...),
 * and Node's agent keeps the options a connection was made with as long as the connection lives: a keep-alive
 * connection then held the body of its first request, a whole part buffer, outside the upload buffer budget
 * (measured: 3 × 20 MiB still held 30 s after a 512 MiB upload).
 */
function connectionOptions(options: unknown): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  if (typeof options !== 'object' || options === null) return kept;
  for (const [name, value] of Object.entries(options)) {
    const plain = value === null || (typeof value !== 'object' && typeof value !== 'function') || Buffer.isBuffer(value);
    const certificates = Array.isArray(value) && value.every((v) => typeof v === 'string' || Buffer.isBuffer(v));
    if (plain || certificates || (typeof value === 'function' && CONNECTION_HOOKS.has(name))) kept[name] = value;
  }
  return kept;
}

/** What Node's ClientRequest needs from an agent. Without `keepAlive` (and a finite `maxSockets`) ClientRequest
 *  sends `Connection: close` and the store connection closes after every request: a new TCP connection per
 *  UploadPart, whose small windows cost the store ~6 % more CPU per byte (docs/hot-path.md). */
interface RecordingAgent {
  protocol: string;
  defaultPort: number;
  keepAlive: boolean;
  maxSockets: number;
  addRequest(req: http.ClientRequest, options: unknown): void;
}

/** One store call (all its tries): its requests in flight, and how many it has sent. */
export class Call {
  private readonly inFlight = new Set<{ destroy(err: Error): void }>();
  private readonly bodies = new Set<Readable>();
  private sent = 0;
  private cancelledNow = false;
  private onSent: (() => void) | undefined;
  private readonly onAbort = (): void => this.cancel();

  constructor(
    private readonly tracker: CosRequests,
    readonly id: string,
    readonly operation: string,
    private readonly signal: AbortSignal | undefined,
  ) {
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Headers that put an SDK request into this call. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...extra, [TAG]: this.id };
  }

  /** A request body stream of this call: destroyed with it on cancel (else it would wait for a stalled store). */
  attach(body: Readable): void {
    this.bodies.add(body);
    body.once('close', () => this.bodies.delete(body));
  }

  /**
   * `handler` runs once a request of this call has been sent whole: headers and body handed to the operating system
   * (the request's 'finish'), so that the store receives all of it even if the call is cancelled after.
   */
  whenSent(handler: () => void): void {
    this.onSent = handler;
  }

  /** More than one request went out (an earlier one may have succeeded unseen). */
  get sentBefore(): boolean {
    return this.sent > 1;
  }

  get cancelled(): boolean {
    return this.cancelledNow || this.signal?.aborted === true;
  }

  agentFor(url: string): RecordingAgent {
    const shared = url.startsWith('https:') ? sharedHttps : sharedHttp;
    const add = shared.addRequest.bind(shared);
    return {
      protocol: shared.protocol,
      defaultPort: shared.defaultPort,
      keepAlive: true,
      maxSockets: shared.maxSockets,
      addRequest: (req, options) => {
        if (this.cancelled) {
          // Handed on first: Node emits a destroyed request's 'error' only once it has a socket (which then goes
          // back to the pool unused). Destroyed without one, the request never ends and its caller waits forever.
          add(req, connectionOptions(options));
          req.destroy(new Error('request cancelled'));
          return;
        }
        this.record(req);
        add(req, connectionOptions(options));
      },
    };
  }

  private record(req: http.ClientRequest): void {
    this.inFlight.add(req);
    const observer = this.observeOne(() => this.inFlight.delete(req));
    req.once('response', (res: http.IncomingMessage) => observer.responded(res.statusCode ?? 0));
    if (this.onSent) req.once('finish', this.onSent);
    req.once('close', () => observer.closed());
  }

  /**
   * A request of the store's own HTTP client: observed like the SDK's (status, duration, retry), and destroyed by
   * `destroy` when the call is cancelled.
   */
  track(destroy: (err: Error) => void): ExchangeObserver {
    const request = { destroy };
    this.inFlight.add(request);
    return this.observeOne(() => this.inFlight.delete(request));
  }

  private observeOne(forget: () => void): ExchangeObserver {
    const started = performance.now();
    const retry = this.sent++;
    let status = 0;
    return {
      responded: (code) => (status = code),
      closed: () => {
        forget();
        const failed = status === 0 || status >= 300;
        this.tracker.observe({
          operation: this.operation,
          status,
          durationMs: performance.now() - started,
          retry,
          // The status alone: a 200 carrying an <Error> body is classified by the store, not here.
          ...(failed && !(this.operation === 'DeleteObject' && status === 404) ? { errorKind: classify(status, undefined) } : {}),
        });
      },
    };
  }

  /** Destroys every request of the call still in flight (their connections are dropped, not reused). */
  cancel(): void {
    this.cancelledNow = true;
    for (const req of this.inFlight) req.destroy(new Error('request cancelled'));
    this.inFlight.clear();
    for (const body of this.bodies) body.destroy(new Error('request cancelled'));
    this.bodies.clear();
  }

  /** Done with the call; a request still in flight (a GET body being read) stays tracked until it closes. */
  end(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.tracker.forget(this.id);
  }
}

/** The calls of one SDK client. */
export class CosRequests {
  private readonly calls = new Map<string, Call>();
  private counter = 0;

  constructor(
    cos: COS,
    private readonly observer: RequestObserver | undefined,
  ) {
    cos.on('before-send', (opt?: OutgoingOptions) => {
      const id = opt?.headers?.[TAG];
      if (!opt?.headers || typeof id !== 'string') return;
      delete opt.headers[TAG];
      const call = this.calls.get(id);
      if (call) opt.agent = call.agentFor(opt.url ?? '');
    });
  }

  begin(operation: string, signal: AbortSignal | undefined): Call {
    const call = new Call(this, `c${++this.counter}`, operation, signal);
    this.calls.set(call.id, call);
    return call;
  }

  forget(id: string): void {
    this.calls.delete(id);
  }

  observe(event: Parameters<RequestObserver>[0]): void {
    try {
      this.observer?.(event);
    } catch {
      // An observer's failure must never fail a request.
    }
  }
}
