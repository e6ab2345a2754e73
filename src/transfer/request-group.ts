// Lets a transfer abort its own COS requests at once. The SDK hands out no request handle, but it emits
// 'before-send' with the options it is about to pass to its HTTP library; requests tagged with a group's header get
// an agent there that records each request of the group and hands it on to one shared keep-alive agent (so
// connections are still reused across transfers). Cancelling the group destroys its requests still in flight (a part
// whose body already sits in the socket buffers would otherwise wait for a slow or stalled COS).
import http from 'node:http';
import https from 'node:https';
import type COS from 'cos-nodejs-sdk-v5';

/** Not signed by the SDK (no `x-cos-` in it) and removed before sending. */
const TAG = 'x-gateway-request-group';

const groups = new Map<string, RequestGroup>();
const hooked = new WeakSet<COS>();
let counter = 0;

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

/** What Node's ClientRequest needs from an agent, delegating to a shared one. */
interface RecordingAgent {
  protocol: string;
  defaultPort: number;
  addRequest(req: http.ClientRequest, options: unknown): void;
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
  private readonly inFlight = new Set<http.ClientRequest>();
  private readonly agents = new Map<string, RecordingAgent>();

  constructor(cos: COS) {
    hook(cos);
    groups.set(this.id, this);
  }

  /** Headers that put an SDK request into this group. */
  tag(headers: Record<string, string> = {}): Record<string, string> {
    return { ...headers, [TAG]: this.id };
  }

  agentFor(url: string): RecordingAgent {
    const shared = url.startsWith('https:') ? sharedHttps : sharedHttp;
    let agent = this.agents.get(shared.protocol);
    if (!agent) {
      const add = shared.addRequest.bind(shared);
      agent = {
        protocol: shared.protocol,
        defaultPort: shared.defaultPort,
        addRequest: (req, options) => {
          this.inFlight.add(req);
          req.once('close', () => this.inFlight.delete(req));
          add(req, options);
        },
      };
      this.agents.set(shared.protocol, agent);
    }
    return agent;
  }

  /** Aborts every request of the group still in flight (their connections are dropped, not reused). */
  cancel(): void {
    for (const req of this.inFlight) req.destroy(new Error('transfer cancelled'));
    this.inFlight.clear();
  }

  /** Done with the group. */
  close(): void {
    this.cancel();
    groups.delete(this.id);
  }
}
