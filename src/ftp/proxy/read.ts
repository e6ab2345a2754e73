// Reads a PROXY protocol header from the start of a raw TCP socket, in whatever pieces it arrives, before anything
// else (ftp-srv, TLS) reads the socket. Bytes after the header are put back, and the socket is left paused.
import type { Socket } from 'node:net';
import { parseProxyHeader } from './header';
import type { ProxyHeader } from './header';

/** How reading the header ended without one. */
export type ProxyHeaderFailure = 'invalid' | 'closed' | 'timeout';

/** Why no header was read; `received` is the number of bytes that had arrived (0: closed without a word). */
export class ProxyHeaderError extends Error {
  constructor(
    readonly failure: ProxyHeaderFailure,
    message: string,
    readonly received: number,
  ) {
    super(message);
    this.name = 'ProxyHeaderError';
  }
}

/**
 * Resolves with the header once it is complete; rejects when the bytes are not a valid header, the peer closes
 * first, or `timeoutMs` passes (a balancer writes the header at once, so a slow one is not a balancer). The socket
 * is not destroyed here: the caller decides (and logs).
 */
export function readProxyHeader(socket: Socket, timeoutMs: number): Promise<ProxyHeader> {
  return new Promise((resolve, reject) => {
    let received: Buffer = Buffer.alloc(0);
    const finish = (outcome: () => void): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      socket.pause();
      outcome();
    };
    const fail = (failure: ProxyHeaderFailure, message: string): void =>
      finish(() => reject(new ProxyHeaderError(failure, message, received.length)));

    const onData = (chunk: Buffer): void => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const parsed = parseProxyHeader(received);
      if (parsed.state === 'incomplete') return;
      if (parsed.state === 'invalid') return fail('invalid', parsed.reason);
      const rest = received.subarray(parsed.length);
      finish(() => {
        // The application protocol's first bytes, if the balancer sent them in the same segment.
        if (rest.length > 0) socket.unshift(rest);
        resolve(parsed.header);
      });
    };
    const onEnd = (): void => fail('closed', 'connection closed before the PROXY header was complete');
    const onError = (err: Error): void => fail('closed', `connection error before the PROXY header was complete: ${err.message}`);
    const timer = setTimeout(() => fail('timeout', `no complete PROXY header within ${timeoutMs} ms`), timeoutMs);

    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    socket.resume();
  });
}
