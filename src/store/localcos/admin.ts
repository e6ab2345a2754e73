// Out-of-process control of a running store: fault injection and request counters over HTTP, token-guarded.
//   POST   /-/admin/faults  {"op":"GetObject","key":"a.txt"|{"regex":"^a/"},"count":2|"Infinity","action":{...}}
//   DELETE /-/admin/faults
//   GET    /-/admin/counts  -> {"PutObject":3,...}
//   DELETE /-/admin/counts
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { type FaultAction, type FaultRegistry, type FaultSpec, type RequestCounters, type StoreOperation } from './faults';

/** What the admin endpoint reaches of the store (a part of the server's state). */
export interface AdminState {
  faults: FaultRegistry;
  counters: RequestCounters;
  adminToken?: string;
}

function reply(res: ServerResponse, status: number, body?: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function tokenMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

interface FaultRequest {
  op?: StoreOperation | '*';
  key?: string | { regex: string; flags?: string };
  count?: number | string | null;
  action?: FaultAction;
}

export async function handleAdmin(state: AdminState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const header = req.headers['x-admin-token'] ?? (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
  if (typeof header !== 'string' || !tokenMatches(header, state.adminToken ?? '')) {
    reply(res, 403, { error: 'bad admin token' });
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const path = (req.url ?? '').split('?')[0];
  if (path === '/-/admin/faults' && req.method === 'POST') {
    let body: FaultRequest;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as FaultRequest;
    } catch {
      reply(res, 400, { error: 'invalid JSON' });
      return;
    }
    if (!body.op || !body.action || typeof body.action !== 'object') {
      reply(res, 400, { error: 'op and action are required' });
      return;
    }
    const spec: FaultSpec = { op: body.op, action: body.action };
    if (typeof body.key === 'string') spec.key = body.key;
    else if (body.key && typeof body.key.regex === 'string') spec.key = new RegExp(body.key.regex, body.key.flags);
    if (body.count === 'Infinity' || body.count === null || body.count === -1) spec.count = Infinity;
    else if (typeof body.count === 'number') spec.count = body.count;
    state.faults.add(spec);
    reply(res, 204);
    return;
  }
  if (path === '/-/admin/faults' && req.method === 'DELETE') {
    state.faults.clear();
    reply(res, 204);
    return;
  }
  if (path === '/-/admin/counts' && req.method === 'GET') {
    reply(res, 200, state.counters.snapshot());
    return;
  }
  if (path === '/-/admin/counts' && req.method === 'DELETE') {
    state.counters.reset();
    reply(res, 204);
    return;
  }
  reply(res, 404, { error: 'unknown admin endpoint' });
}
