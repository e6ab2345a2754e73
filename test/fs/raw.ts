// A raw FTP session for exact reply codes: a control connection, and passive data connections for listings.
import net from 'node:net';
import { ControlConnection, type Reply } from '../helpers/control';

export class RawFtp {
  private constructor(readonly control: ControlConnection) {}

  /** Connected and greeted; logged in when user is given. */
  static async open(port: number, user?: string, password?: string): Promise<RawFtp> {
    const control = await ControlConnection.open(port);
    const greeting = await control.read();
    if (greeting.code !== 220) throw new Error(`greeting: ${greeting.text}`);
    const raw = new RawFtp(control);
    if (user !== undefined) {
      const u = await raw.send(`USER ${user}`);
      const p = await raw.send(`PASS ${password ?? ''}`);
      if (u.code !== 331 || p.code !== 230) throw new Error(`login ${user}: ${u.text} / ${p.text}`);
    }
    return raw;
  }

  send(line: string, timeoutMs?: number): Promise<Reply> {
    return this.control.send(line, timeoutMs);
  }

  read(): Promise<Reply> {
    return this.control.read();
  }

  /** Writes raw bytes on the control connection (for split and pipelined commands). */
  write(bytes: Buffer | string): void {
    this.control.socket.write(bytes);
  }

  /** Runs a data command (LIST, NLST, MLSD, RETR) over EPSV: its preliminary and final replies and the data. */
  async data(line: string): Promise<{ first: Reply; final?: Reply; text: string }> {
    const epsv = await this.send('EPSV');
    const m = /\(\|\|\|(\d+)\|\)/.exec(epsv.text);
    if (epsv.code !== 229 || !m) throw new Error(`EPSV: ${epsv.text}`);
    const socket = net.connect(Number(m[1]), '127.0.0.1');
    const chunks: Buffer[] = [];
    const ended = new Promise<void>((resolve) => {
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const first = await this.send(line);
    if (first.code !== 150) {
      socket.destroy();
      return { first, text: '' };
    }
    await ended;
    const final = await this.read();
    return { first, final, text: Buffer.concat(chunks).toString('utf8') };
  }

  /** Runs an upload command (STOR, APPE) over EPSV: sends body on the data connection, closes it, reads the final reply. */
  async upload(line: string, body: Buffer | string): Promise<{ first: Reply; final?: Reply }> {
    const epsv = await this.send('EPSV');
    const m = /\(\|\|\|(\d+)\|\)/.exec(epsv.text);
    if (epsv.code !== 229 || !m) throw new Error(`EPSV: ${epsv.text}`);
    const socket = net.connect(Number(m[1]), '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const first = await this.send(line);
    if (first.code !== 150 && first.code !== 125) {
      socket.destroy();
      return { first };
    }
    socket.end(body);
    const final = await this.read();
    return { first, final };
  }

  /** The lines of a listing command (final reply must be 226). */
  async lines(line: string): Promise<string[]> {
    const r = await this.data(line);
    if (r.final?.code !== 226) throw new Error(`${line}: ${r.first.text} / ${r.final?.text}`);
    return r.text.split('\r\n').filter((l) => l !== '');
  }

  close(): void {
    this.control.close();
  }
}
