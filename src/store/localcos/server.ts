// The HTTP front: parse, authenticate, count, apply injected faults, dispatch to the operation handler.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { handleAdmin } from './admin';
import { parseCosAuthorization, verifyCosSignature } from './auth-cos';
import { type ChunkSigning, isV4Authorization, isV4Presigned, verifyV4 } from './auth-v4';
import {
  deleteBucket,
  deleteMultipleObjects,
  getBucket,
  getBucketLocation,
  headBucket,
  listBuckets,
  putBucket,
} from './bucket-handlers';
import type { Catalog } from './catalog';
import { type RequestContext, newRequestId, sendError } from './context';
import { CosError } from './errors';
import type { FaultAction, FaultRegistry, RequestCounters, StoreOperation } from './faults';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  initiateMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
  uploadPartCopy,
} from './multipart-handlers';
import { deleteObject, getObject, putObject, putObjectCopy } from './object-handlers';
import { type RequestTarget, classify, parseTarget } from './request-target';

/** PEM certificate (chain) and key: the store then speaks HTTPS only. */
export interface TlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface StoreState {
  catalog: Catalog;
  credentials: Map<string, string>;
  faults: FaultRegistry;
  counters: RequestCounters;
  adminToken?: string;
  /** The region the buckets live in (`<bucket>.cos.<region>.myqcloud.com` must name it). */
  region: string;
}

type Handler = (ctx: RequestContext) => Promise<void>;

const HANDLERS: Record<StoreOperation, Handler> = {
  PutObject: putObject,
  GetObject: (ctx) => getObject(ctx, false),
  HeadObject: (ctx) => getObject(ctx, true),
  DeleteObject: deleteObject,
  GetBucket: getBucket,
  InitiateMultipartUpload: initiateMultipartUpload,
  UploadPart: uploadPart,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
  ListMultipartUploads: listMultipartUploads,
  PutObjectCopy: putObjectCopy,
  UploadPartCopy: uploadPartCopy,
  DeleteMultipleObjects: deleteMultipleObjects,
  HeadBucket: headBucket,
  PutBucket: putBucket,
  DeleteBucket: deleteBucket,
  GetBucketLocation: getBucketLocation,
  ListBuckets: listBuckets,
};

const UPLOAD_OPERATIONS = new Set<StoreOperation>(['PutObject', 'UploadPart']);

/** Verifies the request's signature; returns whether it was AWS SigV4 and its payload hash. */
function authenticate(
  state: StoreState,
  req: IncomingMessage,
  target: RequestTarget,
  nowMs: number,
): { s3: boolean; payloadHash?: string; chunkSigning?: ChunkSigning } {
  const authorization = req.headers.authorization;
  if (isV4Authorization(authorization) || isV4Presigned(target.query)) {
    const result = verifyV4(
      { method: target.method, rawPath: target.rawPath, query: target.query, headers: req.headers },
      state.credentials,
      nowMs,
    );
    return { s3: true, payloadHash: result.payloadHash, chunkSigning: result.chunkSigning };
  }
  let fields: Map<string, string> | undefined;
  let query = target.query;
  if (authorization && authorization.includes('q-sign-algorithm=')) {
    fields = parseCosAuthorization(authorization);
  } else if (target.params.has('q-sign-algorithm')) {
    fields = new Map(target.query.filter(([name]) => name.startsWith('q-')));
    query = target.query.filter(([name]) => !name.startsWith('q-') && name !== 'x-cos-security-token');
  }
  if (!fields) throw new CosError(403, 'AccessDenied', 'Access Denied: the request is not signed.');
  const key = target.key;
  const pathnames = target.style === 'virtual' ? ['/' + key] : ['/' + key, `/${target.bucket}/${key}`, `/${target.bucket}`];
  verifyCosSignature(
    fields,
    { method: target.method, pathnames, query, headers: req.headers },
    state.credentials,
    Math.floor(nowMs / 1000),
  );
  return { s3: false };
}

/** Applies the faults taken for this request to its context; throws the injected error, if any. */
async function applyFaults(ctx: RequestContext, actions: FaultAction[]): Promise<void> {
  let injected: CosError | undefined;
  for (const action of actions) {
    if ('status' in action) {
      injected = new CosError(action.status, action.code, action.message);
      injected.in200 = action.in200 === true;
    }
    if ('stallMs' in action) await sleep(action.stallMs);
    if ('cutAfterBytes' in action) ctx.cutAfterBytes = action.cutAfterBytes;
    if ('throttleBytesPerSec' in action) ctx.throttleBytesPerSec = action.throttleBytesPerSec;
    if ('hideYoungerThanMs' in action) ctx.hideYoungerThanMs = action.hideYoungerThanMs;
    if ('lingerDeletedMs' in action) ctx.lingerDeletedMs = action.lingerDeletedMs;
    if ('shortPage' in action) ctx.shortPage = action.shortPage;
    if ('failKeys' in action) {
      ctx.failKeys = {
        pattern: typeof action.failKeys === 'string' ? new RegExp(action.failKeys) : action.failKeys,
        code: action.code ?? 'InternalError',
        message: action.message ?? 'We encountered an internal error. Please try again.',
      };
    }
    if ('slowCompleteMs' in action) ctx.slowCompleteMs = action.slowCompleteMs;
    if ('withoutCrc64' in action) ctx.withoutCrc64 = action.withoutCrc64;
    if ('chunked' in action) ctx.chunked = action.chunked;
  }
  if (injected) throw injected;
}

/** COS serves a bucket only through its own region's endpoint; elsewhere the bucket does not exist. */
function checkRegion(state: StoreState, target: RequestTarget): void {
  if (target.region !== undefined && target.region !== state.region && state.catalog.buckets.has(target.bucket)) {
    throw new CosError(404, 'NoSuchBucket', `The specified bucket does not exist (it is in region ${state.region}).`);
  }
}

async function handle(state: StoreState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = newRequestId();
  let target: RequestTarget | undefined;
  let clockSkewMs: number | undefined;
  try {
    if (state.adminToken && (req.url ?? '').startsWith('/-/admin/')) {
      await handleAdmin(state, req, res);
      return;
    }
    target = parseTarget(req, (name) => state.catalog.buckets.has(name));
    const op = classify(target, req);
    state.counters.count(op);
    const actions = state.faults.take(op, target.key);
    for (const action of actions) if ('clockSkewMs' in action) clockSkewMs = action.clockSkewMs;
    checkRegion(state, target);
    const { s3, payloadHash, chunkSigning } = authenticate(state, req, target, Date.now() + (clockSkewMs ?? 0));
    const ctx: RequestContext = {
      req,
      res,
      target,
      op,
      catalog: state.catalog,
      requestId,
      s3,
      payloadHash,
      chunkSigning,
      clockSkewMs,
    };
    if (actions.some((action) => 'dropConnection' in action)) {
      req.socket.destroy();
      return;
    }
    await applyFaults(ctx, actions);
    if (ctx.cutAfterBytes === 0 && UPLOAD_OPERATIONS.has(op)) {
      req.socket.destroy();
      return;
    }
    await HANDLERS[op](ctx);
  } catch (err) {
    const cosError =
      err instanceof CosError ? err : new CosError(500, 'InternalError', err instanceof Error ? err.message : String(err));
    const gone = res.destroyed || res.writableEnded || !!req.socket?.destroyed;
    if (!(err instanceof CosError) && !gone) process.stderr.write(`cos-local: ${String(err)}\n`);
    if (gone) return;
    sendError({ req, res, requestId, target: target as RequestTarget, clockSkewMs }, cosError);
  }
}

export function createStoreServer(state: StoreState, tls?: TlsOptions): Server {
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(state, req, res);
  };
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, listener) : createServer(listener);
  // Large uploads can legitimately take long; the SDK keeps connections alive between requests.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 60_000;
  return server;
}
