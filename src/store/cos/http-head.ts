// A strict parser of one HTTP/1.1 response head (status line and header fields), for the GetObject client. It
// reads the bytes where they landed (no copy until a complete head is found), refuses what a careful client must
// refuse (no status line, folded or malformed fields, conflicting lengths, codings other than chunked, a head
// over the size limit) and says how the body is framed and whether the connection may be reused afterwards.

/** Larger heads are refused: COS's are well under 2 KiB; a proxy's a few more. */
export const MAX_HEAD_BYTES = 64 * 1024;

export type BodyFraming =
  /** Exactly this many bytes (Content-Length). */
  | { kind: 'length'; length: number }
  /** Transfer-Encoding: chunked. */
  | { kind: 'chunked' }
  /** Until the server closes the connection (neither header): never reusable. */
  | { kind: 'close' }
  /** No body (204, 304). */
  | { kind: 'none' };

export interface ResponseHead {
  status: number;
  /** Lower-case names; repeated fields joined with ', '. */
  headers: Record<string, string>;
  framing: BodyFraming;
  /** The server allows another request on this connection once the body has been read to its end. */
  keepAlive: boolean;
  /** Bytes the head took (where the body starts, from the offset given). */
  size: number;
}

export class HttpProtocolError extends Error {
  /** Like Node's network errors: the store's classification reads it as retryable. */
  readonly code = 'EPROTO';
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: [^\r\n]*)?$/;
const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Parses the head in `bytes[start, end)`. Returns undefined while it is incomplete; throws HttpProtocolError when
 * it is malformed or longer than MAX_HEAD_BYTES.
 */
export function parseResponseHead(bytes: Buffer, start: number, end: number): ResponseHead | undefined {
  // Searched within the bytes read only: the rest of a reused slab holds an older response's bytes.
  const stop = bytes.subarray(0, end).indexOf(CRLFCRLF, start);
  if (stop < 0) {
    if (end - start > MAX_HEAD_BYTES) throw new HttpProtocolError(`response head over ${MAX_HEAD_BYTES} bytes`);
    return undefined;
  }
  if (stop + 4 - start > MAX_HEAD_BYTES) throw new HttpProtocolError(`response head over ${MAX_HEAD_BYTES} bytes`);
  const lines = bytes.toString('latin1', start, stop).split('\r\n');
  const statusLine = STATUS_LINE.exec(lines[0]);
  if (!statusLine) throw new HttpProtocolError(`not an HTTP/1.x status line: ${JSON.stringify(lines[0].slice(0, 80))}`);
  const minor = Number(statusLine[1]);
  const status = Number(statusLine[2]);
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    // Obsolete line folding (a line starting with white space) and names with spaces are refused (RFC 9112 §5).
    if (!TOKEN.test(name)) throw new HttpProtocolError(`malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
    const value = line.slice(colon + 1).trim();
    if (/[\0\n\r]/.test(value)) throw new HttpProtocolError(`malformed value of ${name}`);
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  return { status, headers, framing: framingOf(status, headers), keepAlive: keepAliveOf(minor, headers), size: stop + 4 - start };
}

function framingOf(status: number, headers: Record<string, string>): BodyFraming {
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) return { kind: 'none' };
  const coding = headers['transfer-encoding'];
  if (coding !== undefined) {
    const codings = coding.toLowerCase().split(',').map((c) => c.trim());
    if (codings.length !== 1 || codings[0] !== 'chunked') throw new HttpProtocolError(`unsupported Transfer-Encoding: ${coding}`);
    return { kind: 'chunked' };
  }
  const length = headers['content-length'];
  if (length === undefined) return { kind: 'close' };
  // Repeated fields must agree ("5, 5" is one length, "5, 6" a smuggling attempt).
  const values = new Set(length.split(',').map((v) => v.trim()));
  const [only] = values;
  if (values.size !== 1 || !/^\d{1,15}$/.test(only)) throw new HttpProtocolError(`invalid Content-Length: ${length}`);
  return { kind: 'length', length: Number(only) };
}

function keepAliveOf(minor: number, headers: Record<string, string>): boolean {
  const options = (headers.connection ?? '').toLowerCase().split(',').map((c) => c.trim());
  if (options.includes('close')) return false;
  // A body framed by both headers is suspect (RFC 9112 §6.3): read it by its chunks, then close.
  if (headers['transfer-encoding'] !== undefined && headers['content-length'] !== undefined) return false;
  return minor === 1 || options.includes('keep-alive');
}
