// Reading the PROXY header from a real TCP socket: split into single bytes over time, with the first FTP bytes in
// the same segment, a header that never completes (deadline), a peer that closes half-way, and bad bytes.
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { ProxyHeaderError} from '../../src/ftp/proxy/read';
import { readProxyHeader } from '../../src/ftp/proxy/read';
import type { ProxyHeader } from '../../src/ftp/proxy/header';

interface Accepted {
  result: Promise<ProxyHeader>;
  /** Everything the server socket delivers after the header, until the peer ends. */
  rest: Promise<string>;
}

/** A listener like the gateway's (paused on connect) that reads the header of one connection; `send` is the client. */
async function exchange(timeoutMs: number, send: (socket: net.Socket) => Promise<void>): Promise<Accepted> {
  const server = net.createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Accepted>((resolve) => {
    server.once('connection', (socket: net.Socket) => {
      const result = readProxyHeader(socket, timeoutMs);
      const rest = result.then(
        () =>
          new Promise<string>((done) => {
            let text = '';
            socket.setEncoding('latin1');
            socket.on('data', (d: string) => (text += d));
            socket.on('end', () => done(text));
            socket.resume();
          }),
        () => {
          socket.destroy();
          return '';
        },
      );
      resolve({ result, rest });
    });
  });
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  client.on('error', () => undefined);
  await new Promise((resolve) => client.once('connect', resolve));
  client.setNoDelay(true);
  const sent = send(client);
  const out = await accepted;
  await sent;
  void out.result.catch(() => undefined).finally(() => {
    client.destroy();
    server.close();
  });
  return out;
}

test('a v1 header sent one byte every few ms is read whole; FTP bytes in the same segment are handed on', async () => {
  const header = 'PROXY TCP4 198.51.100.7 127.0.0.2 40001 2121\r\n';
  const { result, rest } = await exchange(5000, async (client) => {
    for (const byte of Buffer.from(header, 'latin1')) {
      client.write(Buffer.from([byte]));
      await sleep(2);
    }
    client.end('USER u\r\n');
  });
  assert.deepEqual((await result).source, { address: '198.51.100.7', port: 40001, family: 'IPv4' });
  assert.equal(await rest, 'USER u\r\n');
});

test('a v2 header and the first command in one write: the command is not lost', async () => {
  const body = Buffer.alloc(12);
  Buffer.from([203, 0, 113, 9]).copy(body, 0);
  Buffer.from([127, 0, 0, 2]).copy(body, 4);
  body.writeUInt16BE(50000, 8);
  body.writeUInt16BE(21, 10);
  const head = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c]);
  const { result, rest } = await exchange(5000, async (client) => {
    client.end(Buffer.concat([head, body, Buffer.from('FEAT\r\nSYST\r\n')]));
  });
  assert.deepEqual((await result).source, { address: '203.0.113.9', port: 50000, family: 'IPv4' });
  assert.equal(await rest, 'FEAT\r\nSYST\r\n');
});

test('a header that never completes fails at the deadline, not before and not never', async () => {
  const started = Date.now();
  const { result } = await exchange(300, async (client) => {
    client.write('PROXY TCP4 198.51.100.7 ');
  });
  await assert.rejects(result, (err: ProxyHeaderError) => err.failure === 'timeout' && err.received === 24);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 250 && elapsed < 3000, `${elapsed} ms`);
});

test('a silent connection (a plain health check) fails at the deadline with nothing received', async () => {
  const { result } = await exchange(200, async () => undefined);
  await assert.rejects(result, (err: ProxyHeaderError) => err.failure === 'timeout' && err.received === 0);
});

test('a peer that closes half-way, or at once, is a closed failure', async () => {
  const half = await exchange(5000, async (client) => {
    client.end('PROXY TCP4 1.2.3.4');
  });
  await assert.rejects(half.result, (err: ProxyHeaderError) => err.failure === 'closed' && err.received === 18);
  const none = await exchange(5000, async (client) => {
    client.end();
  });
  await assert.rejects(none.result, (err: ProxyHeaderError) => err.failure === 'closed' && err.received === 0);
});

test('bad bytes fail as soon as they arrive, without waiting for more', async () => {
  const started = Date.now();
  const { result } = await exchange(5000, async (client) => {
    client.write('USER anonymous\r\n');
  });
  await assert.rejects(result, (err: ProxyHeaderError) => err.failure === 'invalid' && /not a PROXY/.test(err.message));
  const oversized = await exchange(5000, async (client) => {
    client.write(`PROXY UNKNOWN ${'x'.repeat(200)}`);
  });
  await assert.rejects(oversized.result, (err: ProxyHeaderError) => err.failure === 'invalid' && /longer than 107/.test(err.message));
  assert.ok(Date.now() - started < 3000);
});
