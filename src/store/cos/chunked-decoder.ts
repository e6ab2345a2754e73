// Decodes `Transfer-Encoding: chunked` (RFC 9112 §7.1) in place: body bytes are reported as ranges of the buffer
// they arrived in, never copied; only the short framing lines split across reads are kept aside. COS itself sends
// Content-Length, but a proxy in between may re-frame a response as chunks.
import { HttpProtocolError } from './http-head';

/** Longest chunk-size line, or trailer field, accepted. */
const MAX_LINE = 4096;
/** Most trailer bytes accepted after the last chunk. */
const MAX_TRAILER = 16 * 1024;
const CHUNK_SIZE = /^([0-9a-fA-F]{1,13})[ \t]*(?:;.*)?$/;

type State = 'size' | 'data' | 'data-end' | 'trailer' | 'done';

export class ChunkedDecoder {
  private state: State = 'size';
  private remaining = 0;
  /** The start of a framing line that a read cut off. */
  private line = '';
  private trailerBytes = 0;

  /** The last chunk and the trailer have been read. */
  get done(): boolean {
    return this.state === 'done';
  }

  /**
   * Decodes `bytes[start, end)`, calling `data(from, to)` for each run of body bytes in it. Returns the offset it
   * stopped at: `end`, or just after the body when it ended earlier (what follows is not part of this response).
   */
  push(bytes: Buffer, start: number, end: number, data: (from: number, to: number) => void): number {
    let at = start;
    while (at < end && this.state !== 'done') {
      if (this.state === 'data') {
        const take = Math.min(this.remaining, end - at);
        data(at, at + take);
        at += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'data-end';
        continue;
      }
      const newline = bytes.subarray(0, end).indexOf(10, at);
      if (newline < 0) {
        this.extendLine(bytes, at, end);
        return end;
      }
      this.extendLine(bytes, at, newline);
      at = newline + 1;
      this.endLine();
    }
    return at;
  }

  private extendLine(bytes: Buffer, from: number, to: number): void {
    if (this.line.length + (to - from) > MAX_LINE) throw new HttpProtocolError('chunked body: framing line too long');
    this.line += bytes.toString('latin1', from, to);
  }

  private endLine(): void {
    const raw = this.line;
    this.line = '';
    if (!raw.endsWith('\r')) throw new HttpProtocolError('chunked body: line not ended by CRLF');
    const line = raw.slice(0, -1);
    if (this.state === 'size') {
      const m = CHUNK_SIZE.exec(line);
      if (!m) throw new HttpProtocolError(`chunked body: invalid chunk size ${JSON.stringify(line.slice(0, 40))}`);
      this.remaining = parseInt(m[1], 16);
      this.state = this.remaining === 0 ? 'trailer' : 'data';
    } else if (this.state === 'data-end') {
      if (line !== '') throw new HttpProtocolError('chunked body: chunk data longer than its size');
      this.state = 'size';
    } else if (this.state === 'trailer') {
      this.trailerBytes += raw.length + 1;
      if (this.trailerBytes > MAX_TRAILER) throw new HttpProtocolError('chunked body: trailer too long');
      if (line === '') this.state = 'done';
    }
  }
}
