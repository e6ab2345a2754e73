// Fault injection and per-operation request counters, for the gateway's reliability tests.

export const COS_OPERATIONS = [
  'PutObject',
  'GetObject',
  'HeadObject',
  'DeleteObject',
  'GetBucket',
  'InitiateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
  'ListParts',
  'ListMultipartUploads',
  'PutObjectCopy',
  'UploadPartCopy',
  'DeleteMultipleObjects',
] as const;

export type CosOperation = (typeof COS_OPERATIONS)[number];

/** Operations beyond the COS contract that S3 tools also use. */
export type ExtraOperation = 'HeadBucket' | 'PutBucket' | 'ListBuckets' | 'GetBucketLocation' | 'DeleteBucket';
export type StoreOperation = CosOperation | ExtraOperation;

export type FaultAction =
  /** Answer with this error; `in200`: as COS sometimes does for Copy and Complete, inside a 200 response. */
  | { status: number; code?: string; message?: string; in200?: boolean }
  | { stallMs: number }
  /** Upload operations: drop the connection after receiving N body bytes; others: after sending N. */
  | { cutAfterBytes: number }
  /** Upload operations: read the body at this rate; others: send it at this rate. */
  | { throttleBytesPerSec: number }
  /** GetBucket: keys written less than this many ms ago are missing (COS lists eventually consistently, doc 7734). */
  | { hideYoungerThanMs: number }
  /** GetBucket: keys deleted less than this many ms ago are still listed (the other half of eventual consistency). */
  | { lingerDeletedMs: number }
  /** GetBucket: a page of at most this many entries (0: none) that still says IsTruncated. */
  | { shortPage: number }
  /** DeleteMultipleObjects: keys matching this pattern are not deleted and come back as `<Error>`, Quiet or not. */
  | { failKeys: string | RegExp; code?: string; message?: string }
  /** CompleteMultipartUpload: 200 and headers at once, spaces while it "works" this long, then the result or error. */
  | { slowCompleteMs: number }
  /** Writes (PUT, UploadPart, Complete): the object or part is kept without a CRC-64, as COS's older objects are. */
  | { withoutCrc64: true }
  /** The store's clock runs this far off: signatures are checked against it and `Date` says it. */
  | { clockSkewMs: number }
  /** GetObject: the body framed as chunks without Content-Length, as some proxies re-frame answers. */
  | { chunked: true }
  /** The connection is closed as soon as the request has arrived, without an answer. */
  | { dropConnection: true };

/** The member that names each kind of action (the others are its options). */
const KINDS = [
  'status',
  'stallMs',
  'cutAfterBytes',
  'throttleBytesPerSec',
  'hideYoungerThanMs',
  'lingerDeletedMs',
  'shortPage',
  'failKeys',
  'slowCompleteMs',
  'withoutCrc64',
  'clockSkewMs',
  'chunked',
  'dropConnection',
] as const;

function kindOf(action: FaultAction): string {
  return KINDS.find((kind) => kind in action) ?? Object.keys(action)[0];
}

export interface FaultSpec {
  op: StoreOperation | '*';
  /** Exact key, or a pattern the key must match. */
  key?: string | RegExp;
  /** How many matching requests it applies to; default 1; Infinity for all. */
  count?: number;
  action: FaultAction;
}

interface ActiveFault {
  spec: FaultSpec;
  left: number;
}

export class FaultRegistry {
  private faults: ActiveFault[] = [];

  add(spec: FaultSpec): void {
    this.faults.push({ spec, left: spec.count ?? 1 });
  }

  clear(): void {
    this.faults = [];
  }

  /** Number of faults still armed. */
  get pending(): number {
    return this.faults.length;
  }

  /**
   * Consumes and returns the faults that apply to this request: of each kind (status, stall, cut, ...) the
   * earliest added matching fault, so faults of one kind queue up ("3 x 503, then 2 x 500").
   */
  take(op: StoreOperation, key: string): FaultAction[] {
    const actions: FaultAction[] = [];
    const kinds = new Set<string>();
    for (const fault of this.faults) {
      const { spec } = fault;
      if (spec.op !== '*' && spec.op !== op) continue;
      if (spec.key !== undefined) {
        if (typeof spec.key !== 'string') spec.key.lastIndex = 0;
        if (typeof spec.key === 'string' ? spec.key !== key : !spec.key.test(key)) continue;
      }
      const kind = kindOf(spec.action);
      if (kinds.has(kind)) continue;
      kinds.add(kind);
      actions.push(spec.action);
      fault.left -= 1;
    }
    this.faults = this.faults.filter((f) => f.left > 0);
    return actions;
  }
}

export class RequestCounters {
  private counts: Record<string, number> = {};

  count(op: string): void {
    this.counts[op] = (this.counts[op] ?? 0) + 1;
  }

  snapshot(): Record<string, number> {
    return { ...this.counts };
  }

  reset(): void {
    this.counts = {};
  }
}
