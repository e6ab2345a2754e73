// A raw FTP control connection for tests that check exact reply codes (no client library in between).
import net from 'node:net';
import tls from 'node:tls';

export interface Reply {
  code: number;
  /** The whole reply, all lines joined with \n. */
  text: string;
}

export class ControlConnection {
  private buffer = '';
  private readonly replies: Reply[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.parse();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  /**
   * Connects to the control port. `localAddress` binds the client's end (another loopback address);
   * `preamble` is written first (a PROXY protocol header, as a load balancer would).
   */
  static async open(
    port: number,
    host = '127.0.0.1',
    options: { localAddress?: string; preamble?: string | Buffer } = {},
  ): Promise<ControlConnection> {
    const socket = net.connect({ port, host, localAddress: options.localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    if (options.preamble !== undefined) socket.write(options.preamble);
    return new ControlConnection(socket);
  }

  /** A control connection over a socket already connected (e.g. a TLS socket after AUTH TLS). */
  static over(socket: net.Socket): ControlConnection {
    return new ControlConnection(socket);
  }

  /**
   * Sends AUTH TLS and continues over TLS (a certificate that need not be trusted): a new ControlConnection on the
   * encrypted socket; this one must not be used any more.
   */
  async upgrade(): Promise<ControlConnection> {
    const r = await this.send('AUTH TLS');
    if (r.code !== 234) throw new Error(`AUTH TLS: ${r.text}`);
    this.socket.removeAllListeners('data');
    const secure = tls.connect({ socket: this.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    return new ControlConnection(secure);
  }

  /** True once the server closed the connection (and every reply it sent has been read). */
  get isClosed(): boolean {
    return this.closed && this.replies.length === 0;
  }

  /** The next reply; rejects after timeoutMs or when the connection closes first. */
  async read(timeoutMs = 10_000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length === 0) {
      if (this.closed) throw new Error(`connection closed; unparsed: ${JSON.stringify(this.buffer)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms; buffered: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.replies.shift() as Reply;
  }

  /** Sends one command line and returns its (final) reply. */
  async send(line: string, timeoutMs?: number): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.read(timeoutMs);
  }

  /** Resolves when the server has closed the connection, or after timeoutMs (returns whether it closed). */
  async waitClosed(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }

  private parse(): void {
    for (;;) {
      const first = /^(\d{3})([ -])/.exec(this.buffer);
      if (!first) {
        const eol = this.buffer.indexOf('\r\n');
        if (eol < 0) return;
        // Not a reply line; keep it as text of a pseudo reply so tests see it.
        this.push({ code: 0, text: this.buffer.slice(0, eol) });
        this.buffer = this.buffer.slice(eol + 2);
        continue;
      }
      const code = first[1];
      let end: number;
      if (first[2] === ' ') {
        end = this.buffer.indexOf('\r\n');
      } else {
        // Multi-line: ends with a line starting "<code> ".
        const re = new RegExp(`(^|\\r\\n)${code} [^\\r\\n]*\\r\\n`, 'g');
        re.lastIndex = 0;
        const m = re.exec(this.buffer.slice(4));
        end = m ? 4 + m.index + m[0].length - 2 : -1;
      }
      if (end < 0) return;
      this.push({ code: Number(code), text: this.buffer.slice(0, end) });
      this.buffer = this.buffer.slice(end + 2);
    }
  }

  private push(reply: Reply): void {
    this.replies.push(reply);
    this.waiter?.();
  }
}
