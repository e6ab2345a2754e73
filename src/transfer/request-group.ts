// Lets a transfer abort its own COS requests at once. The SDK hands out no request handle, but it emits
// 'before-send' with the options it is about to pass to its HTTP library; requests tagged with a group's header get
// that group's own keep-alive agent there, and destroying the agent's sockets aborts whatever is still in flight
// (a part whose body is already in the socket buffers would otherwise wait for a slow or stalled COS).
import http from 'node:http';
import https from 'node:https';
import type COS from 'cos-nodejs-sdk-v5';

/** Not signed by the SDK (no `x-cos-` in it) and removed before sending. */
const TAG = 'x-gateway-request-group';

const groups = new Map<string, RequestGroup>();
const hooked = new WeakSet<COS>();
let counter = 0;

interface OutgoingOptions {
  url?: string;
  headers?: Record<string, unknown>;
  agent?: http.Agent;
}

function hook(cos: COS): void {
  if (hooked.has(cos)) return;
  hooked.add(cos);
  cos.on('before-send', (opt?: OutgoingOptions) => {
    const id = opt?.headers?.[TAG];
    if (!opt?.headers || typeof id !== 'string') return;
    delete opt.headers[TAG];
    const group = groups.get(id);
    if (group) opt.agent = group.agentFor(opt.url ?? '');
  });
}

export class RequestGroup {
  private readonly id = `g${++counter}`;
  private httpAgent: http.Agent | undefined;
  private httpsAgent: https.Agent | undefined;

  constructor(cos: COS) {
    hook(cos);
    groups.set(this.id, this);
  }

  /** Headers that put an SDK request into this group. */
  tag(headers: Record<string, string> = {}): Record<string, string> {
    return { ...headers, [TAG]: this.id };
  }

  agentFor(url: string): http.Agent {
    if (url.startsWith('https:')) return (this.httpsAgent ??= new https.Agent({ keepAlive: true }));
    return (this.httpAgent ??= new http.Agent({ keepAlive: true }));
  }

  /** Aborts every request of the group still in flight; later requests open new connections. */
  cancel(): void {
    this.httpAgent?.destroy();
    this.httpsAgent?.destroy();
    this.httpAgent = undefined;
    this.httpsAgent = undefined;
  }

  /** Done with the group: its idle connections are closed. */
  close(): void {
    this.cancel();
    groups.delete(this.id);
  }
}
