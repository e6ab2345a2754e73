// TYPE A (ASCII) transfers, as pyftpdlib does them on a POSIX server: CRLF on the wire, LF in storage. Uploads turn
// CRLF into LF; downloads turn a bare LF into CRLF. Both carry a CR that ends one chunk over to the next.

const CR = 0x0d;
const LF = 0x0a;

/** CRLF -> LF, chunk by chunk. */
export class CrlfToLf {
  private heldCr = false;

  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return chunk;
    const out: Buffer[] = [];
    let from = 0;
    if (this.heldCr) {
      this.heldCr = false;
      if (chunk[0] !== LF) out.push(Buffer.from([CR]));
    }
    let end = chunk.length;
    if (end > 0 && chunk[end - 1] === CR) {
      // Whether this CR starts a CRLF is known only with the next chunk.
      this.heldCr = true;
      end--;
    }
    for (let i = chunk.indexOf(CR, from); i !== -1 && i < end; i = chunk.indexOf(CR, i + 1)) {
      if (i + 1 < chunk.length && chunk[i + 1] === LF) {
        out.push(chunk.subarray(from, i));
        from = i + 1;
      }
    }
    out.push(chunk.subarray(from, end));
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  /** What is still held at the end of the data (a final lone CR). */
  flush(): Buffer {
    const rest = this.heldCr ? Buffer.from([CR]) : Buffer.alloc(0);
    this.heldCr = false;
    return rest;
  }
}

/** Bare LF -> CRLF (an existing CRLF stays as it is), chunk by chunk. */
export class LfToCrlf {
  private lastWasCr = false;

  push(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let from = 0;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      const afterCr = i > 0 ? chunk[i - 1] === CR : this.lastWasCr;
      if (!afterCr) {
        out.push(chunk.subarray(from, i), Buffer.from([CR]));
        from = i;
      }
    }
    if (chunk.length > 0) this.lastWasCr = chunk[chunk.length - 1] === CR;
    if (out.length === 0) return chunk;
    out.push(chunk.subarray(from));
    return Buffer.concat(out);
  }
}
