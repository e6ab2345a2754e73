// How the FTP-level transfer tests reach the gateway: a raw control connection with a passive data connection
// (for exact reply codes, ABOR, resets and QUIT mid-transfer) and a basic-ftp client.
import net from 'node:net';
import type { Client } from 'basic-ftp';
import { ControlConnection, type Reply } from '../helpers/control';
import type { Stack } from '../helpers/stack';

export interface FtpFront {
  port: number;
  ftp(): Promise<Client>;
  url(path?: string): string;
}

export function stackFront(stack: Stack): FtpFront {
  return { port: stack.ftpPort, ftp: () => stack.ftp(), url: (path?: string) => stack.url(undefined, path) };
}

export class RawSession {
  private constructor(readonly control: ControlConnection) {}

  static async open(port: number, user: string, password: string): Promise<RawSession> {
    const control = await ControlConnection.open(port);
    const greeting = await control.read();
    if (greeting.code !== 220) throw new Error(`greeting ${greeting.text}`);
    const u = await control.send(`USER ${user}`);
    if (u.code !== 331) throw new Error(`USER: ${u.text}`);
    const p = await control.send(`PASS ${password}`);
    if (p.code !== 230) throw new Error(`PASS: ${p.text}`);
    await control.send('TYPE I');
    return new RawSession(control);
  }

  send(line: string, timeoutMs?: number): Promise<Reply> {
    return this.control.send(line, timeoutMs);
  }

  read(timeoutMs?: number): Promise<Reply> {
    return this.control.read(timeoutMs);
  }

  /** EPSV, then connects the data socket. */
  async openData(): Promise<net.Socket> {
    const r = await this.send('EPSV');
    const m = /\(\|\|\|(\d+)\|\)/.exec(r.text);
    if (r.code !== 229 || !m) throw new Error(`EPSV: ${r.text}`);
    const socket = net.connect(Number(m[1]), '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('error', () => undefined);
    return socket;
  }

  /** Opens a data connection and sends `command`, expecting 150. */
  async startTransfer(command: string): Promise<net.Socket> {
    const data = await this.openData();
    const r = await this.send(command);
    if (r.code !== 150) {
      data.destroy();
      throw Object.assign(new Error(`${command}: ${r.text}`), { reply: r });
    }
    return data;
  }

  close(): void {
    this.control.close();
  }
}

/** Writes `bytes` of `fill` to a socket respecting backpressure; stops early (resolves) if the socket closes. */
export async function writeBytes(socket: net.Socket, bytes: number, chunk = 64 * 1024): Promise<void> {
  const block = Buffer.alloc(chunk, 0x5a);
  let left = bytes;
  while (left > 0 && !socket.destroyed) {
    const n = Math.min(left, chunk);
    left -= n;
    if (!socket.write(n === chunk ? block : block.subarray(0, n))) await drainedOrClosed(socket);
  }
}

/** Resolves once a socket whose write returned false has drained, or has closed. */
export function drainedOrClosed(socket: net.Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}
