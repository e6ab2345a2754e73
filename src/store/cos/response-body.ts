// One GetObject response body, streamed with backpressure: the SDK pipes the HTTP response into its `Output`
// stream, which pauses the response while the reader is slower. The SDK's request library treats a pipe target
// with setHeader like an HTTP response and copies the status and headers onto it before the first byte, so the
// status is known before any data is handed on. Destroying the body with an error makes the SDK abort the request.
import { Transform, type TransformCallback } from 'node:stream';

export class ResponseBody extends Transform {
  readonly headers: Record<string, string> = {};
  readonly headersSent = false;
  private status: number | undefined;
  onStatus: ((status: number) => void) | undefined;
  /** Set on a 2xx answer: only then is the body data (an error answer's XML is dropped). */
  private live = false;

  constructor() {
    super({ highWaterMark: 256 * 1024 });
  }

  setHeader(name: string, value: string | number): void {
    this.headers[name.toLowerCase()] = String(value);
  }

  get statusCode(): number | undefined {
    return this.status;
  }

  set statusCode(code: number | undefined) {
    this.status = code;
    if (code === undefined) return;
    if (code >= 200 && code < 300) this.live = true;
    this.onStatus?.(code);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(null, this.live ? chunk : undefined);
  }
}
