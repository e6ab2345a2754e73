// Attacks on binary uploads that read straight into their part buffers (pooled-reads readInto, CosUploadStream
// readTarget): part boundaries, 1-byte writes, active and passive mode, APPE / REST+STOR, TYPE A/I switching, and
// many concurrent uploads against a small upload_buffer_size where some fail in the store, some are ABORted while
// the client keeps sending and some are reset. Besides the user's checks (bytes identical, replies, nothing left
// behind), an invariant is watched all along: a part buffer never goes back to the budget for reuse while a data
// socket that can still read has it as the memory of its next read.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type Stack, startStack } from '../helpers/stack';
import * as pooledReads from '../../src/ftp/pooled-reads';
import type { UploadBufferBudget } from '../../src/transfer/buffer-budget';
import { RawSession, drainedOrClosed, writeBytes } from './ftp-front';
import { MIB, fastRetries, objectHash, openUploads, putBytes, seededBytes, seededHash, seededStream, sha256OfBuffer, waitFor } from './helpers';

const PART = MIB;
const bucket = 'bucket1-1250000000';

/** Sockets that were ever given a read target, and the violations of the invariant seen. */
const watched = new Set<net.Socket>();
const violations: string[] = [];
/** Part buffers the upload streams gave back without their memory (a read might still land in it). */
let dropped = 0;

function pendingReadMemory(socket: net.Socket): ArrayBufferLike | undefined {
  const symbol = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'kBuffer');
  const pending = symbol ? (socket as unknown as Record<symbol, unknown>)[symbol] : undefined;
  return pending instanceof Uint8Array ? pending.buffer : undefined;
}

/** True when some data socket that can still read would read its next bytes into `memory`. */
function readableInto(memory: ArrayBufferLike): boolean {
  for (const socket of watched) {
    if (socket.destroyed) {
      watched.delete(socket);
      continue;
    }
    if (socket.readableEnded) continue;
    if (pendingReadMemory(socket) === memory) return true;
  }
  return false;
}

function watch(budget: UploadBufferBudget): void {
  const mod = pooledReads as unknown as { readInto: typeof pooledReads.readInto };
  const readInto = mod.readInto;
  mod.readInto = (socket, target) => {
    watched.add(socket);
    return readInto(socket, target);
  };
  const internals = budget as unknown as {
    giveBack(bytes: number, memory: Buffer | undefined): void;
    takeMemory(bytes: number): Buffer;
  };
  const giveBack = internals.giveBack.bind(budget);
  internals.giveBack = (bytes, memory) => {
    if (!memory) dropped++;
    if (memory && readableInto(memory.buffer)) violations.push(`a part buffer went back for reuse while a socket may read into it`);
    giveBack(bytes, memory);
  };
  const takeMemory = internals.takeMemory.bind(budget);
  internals.takeMemory = (bytes) => {
    const memory = takeMemory(bytes);
    if (readableInto(memory.buffer)) violations.push(`a part buffer was handed out while a socket may read into it`);
    return memory;
  };
}

async function send(socket: net.Socket, bytes: Buffer): Promise<void> {
  if (!socket.write(bytes)) await drainedOrClosed(socket);
}

/** PORT to a listener of ours, then `command` (expecting 150): the server's connection to us, as the data socket. */
async function startActive(s: RawSession, command: string): Promise<net.Socket> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  assert.equal((await s.send(`PORT 127,0,0,1,${port >> 8},${port & 255}`)).code, 200);
  const r = await s.send(command);
  server.close();
  if (r.code !== 150) throw new Error(`${command}: ${r.text}`);
  const socket = await accepted;
  socket.on('error', () => undefined);
  return socket;
}

/** Sends `bytes` in pieces of random sizes (1 byte .. 300 KiB), a quarter of them 1-16 bytes. */
async function sendRagged(socket: net.Socket, bytes: Buffer, seed: number): Promise<void> {
  let x = (seed * 2654435761 + 1) >>> 0 || 1;
  const rand = (n: number): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
  let at = 0;
  while (at < bytes.length && !socket.destroyed) {
    const tiny = rand(4) === 0;
    const n = tiny ? 1 + rand(16) : 1 + rand(300 * 1024);
    await send(socket, bytes.subarray(at, at + n));
    at += n;
    if (tiny && rand(4) === 0) await sleep(1);
  }
}

describe('in-place reads under attack', () => {
  let stack: Stack;
  let budget: UploadBufferBudget;
  const raw = (): Promise<RawSession> => RawSession.open(stack.ftpPort, 'user1', 'pass1');

  before(async () => {
    fastRetries();
    stack = await startStack({
      transfer: { minPartSize: PART, singleFileMaxSize: 32 * MIB, uploadThreadNum: 1, uploadBufferSize: 3 * PART },
    });
    budget = stack.gateway.context.uploadBuffers;
    watch(budget);
  });
  after(async () => {
    await stack?.close();
  });
  beforeEach(() => {
    stack.store.faults.clear();
  });

  test('part boundaries, passive (basic-ftp): 0, 1, 64 KiB +- 1, part +- 1, 2 parts (+1), 3 parts', async () => {
    const sizes = [0, 1, 65_535, 65_536, 65_537, PART - 1, PART, PART + 1, 2 * PART, 2 * PART + 1, 3 * PART];
    const client = await stack.ftp();
    try {
      for (const size of sizes) await client.uploadFrom(seededStream(`edge${size}`, size), `edge/p${size}.bin`);
    } finally {
      client.close();
    }
    for (const size of sizes) assert.equal(await objectHash(stack.cos(), bucket, `edge/p${size}.bin`), await seededHash(`edge${size}`, size), `${size}`);
    assert.deepEqual(violations, []);
  });

  test('part boundaries, active mode (curl -P): part, part + 1, 2 parts + 1', async () => {
    for (const size of [PART, PART + 1, 2 * PART + 1]) {
      const curl = spawn('curl', ['-sS', '-P', '127.0.0.1', '-T', '-', stack.url(undefined, `edge/a${size}.bin`)], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      curl.stderr.on('data', (d: Buffer) => (err += d.toString()));
      seededStream(`active${size}`, size).pipe(curl.stdin);
      const code = await new Promise<number | null>((resolve) => curl.once('close', resolve));
      assert.equal(code, 0, err);
      assert.equal(await objectHash(stack.cos(), bucket, `edge/a${size}.bin`), await seededHash(`active${size}`, size), `${size}`);
    }
    assert.deepEqual(violations, []);
  });

  test('1 byte at a time around the start and every part boundary, ragged writes in between', async () => {
    const bytes = await seededBytes('ragged', 3 * PART + 17);
    const s = await raw();
    try {
      const data = await s.startTransfer('STOR ragged.bin');
      data.setNoDelay(true);
      let at = 0;
      const ones = async (n: number): Promise<void> => {
        for (let i = 0; i < n; i++, at++) {
          await send(data, bytes.subarray(at, at + 1));
          await sleep(2);
        }
      };
      await ones(5);
      for (const boundary of [PART, 2 * PART, 3 * PART]) {
        await sendRagged(data, bytes.subarray(at, boundary - 4), boundary);
        at = boundary - 4;
        await ones(9);
      }
      await send(data, bytes.subarray(at));
      data.end();
      assert.equal((await s.read(30_000)).code, 226);
    } finally {
      s.close();
    }
    assert.equal(await objectHash(stack.cos(), bucket, 'ragged.bin'), sha256OfBuffer(bytes));
    assert.deepEqual(violations, []);
  });

  test('APPE after a small and after a large object, REST+STOR, TYPE A then I in one session', async () => {
    const small = await seededBytes('old-small', 300_000);
    const large = await seededBytes('old-large', PART + PART / 2);
    const more = await seededBytes('more', 2 * PART + 333);
    await putBytes(stack.cos(), bucket, 'appe-small.bin', small);
    await putBytes(stack.cos(), bucket, 'appe-large.bin', large);
    await putBytes(stack.cos(), bucket, 'rest.bin', small);
    const s = await raw();
    try {
      for (const [command, seed] of [['APPE appe-small.bin', 1], ['APPE appe-large.bin', 2]] as const) {
        const data = await s.startTransfer(command);
        await sendRagged(data, more, seed);
        data.end();
        assert.equal((await s.read(30_000)).code, 226, command);
      }
      assert.equal((await s.send('REST 300000')).code, 350);
      const data = await s.startTransfer('STOR rest.bin');
      await sendRagged(data, more, 3);
      data.end();
      assert.equal((await s.read(30_000)).code, 226);
      assert.equal((await s.send('TYPE A')).code, 200);
      const text = await s.startTransfer('STOR text.txt');
      text.end(Buffer.from('a\r\nb\r\n'.repeat(200_000)));
      assert.equal((await s.read(30_000)).code, 226);
      assert.equal((await s.send('TYPE I')).code, 200);
      const bin = await s.startTransfer('STOR after-text.bin');
      await sendRagged(bin, more, 4);
      bin.end();
      assert.equal((await s.read(30_000)).code, 226);
    } finally {
      s.close();
    }
    assert.equal(await objectHash(stack.cos(), bucket, 'appe-small.bin'), sha256OfBuffer(Buffer.concat([small, more])));
    assert.equal(await objectHash(stack.cos(), bucket, 'appe-large.bin'), sha256OfBuffer(Buffer.concat([large, more])));
    assert.equal(await objectHash(stack.cos(), bucket, 'rest.bin'), sha256OfBuffer(Buffer.concat([small, more])));
    assert.equal(await objectHash(stack.cos(), bucket, 'text.txt'), sha256OfBuffer(Buffer.from('a\nb\n'.repeat(200_000))));
    assert.equal(await objectHash(stack.cos(), bucket, 'after-text.bin'), sha256OfBuffer(more));
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
    assert.deepEqual(violations, []);
  });

  for (let round = 0; round < 3; round++) {
    test(`round ${round}: 12 concurrent uploads, budget of 3 parts; store failures, ABOR and resets while clients send`, async () => {
      type Kind = 'ok' | 'fault' | 'abor' | 'reset' | 'quit';
      const kinds: Kind[] = ['ok', 'fault', 'abor', 'ok', 'reset', 'quit', 'ok', 'abor', 'fault', 'reset', 'ok', 'ok'];
      const results = await Promise.all(
        kinds.map(async (kind, i) => {
          const key = `mix${round}/${kind}${i}.bin`;
          const size = Math.floor((1.3 + ((i * 7 + round * 3) % 10) / 5) * PART) + i;
          const bytes = await seededBytes(key, size);
          if (kind === 'fault') {
            stack.store.faults.add({ op: 'UploadPart', key, count: Infinity, action: { status: 500, code: 'InternalError' } });
            stack.store.faults.add({ op: 'PutObject', key, count: Infinity, action: { status: 500, code: 'InternalError' } });
          }
          const s = await raw();
          try {
            // Every third in active mode.
            const data = i % 3 === 0 ? await startActive(s, `STOR ${key}`) : await s.startTransfer(`STOR ${key}`);
            if (kind === 'ok') {
              await sendRagged(data, bytes, i + round * 100);
              data.end();
              return { key, kind, bytes, code: (await s.read(30_000)).code };
            }
            // The others go on sending (zeros) until the transfer is over.
            const cut = Math.floor(((i * 13 + round * 5) % 20) / 10 * PART) + 1 + i;
            await sendRagged(data, bytes.subarray(0, Math.min(cut, size)), i);
            const sending = writeBytes(data, 8 * PART, 1000 + i * 97);
            if (kind === 'abor') {
              await sleep((i * 3) % 20);
              s.control.socket.write('ABOR\r\n');
              const first = (await s.read(30_000)).code;
              const second = (await s.read(30_000)).code;
              data.destroy();
              await sending;
              return { key, kind, bytes, code: first, second };
            }
            if (kind === 'reset') {
              await sleep((i * 3) % 20);
              data.resetAndDestroy();
              return { key, kind, bytes, code: (await s.read(30_000)).code };
            }
            if (kind === 'quit') {
              await sleep((i * 3) % 20);
              s.close();
              await sleep(50);
              data.destroy();
              return { key, kind, bytes, code: 0 };
            }
            const code = (await s.read(30_000)).code;
            data.destroy();
            await sending;
            return { key, kind, bytes, code };
          } finally {
            s.close();
          }
        }),
      );
      await waitFor(() => stack.gateway.context.stats.transfers === 0);
      for (const r of results) {
        const stored = await objectHash(stack.cos(), bucket, r.key);
        if (r.kind === 'ok') {
          assert.equal(r.code, 226, r.key);
          assert.equal(stored, sha256OfBuffer(r.bytes), r.key);
        } else {
          assert.notEqual(r.code, 226, r.key);
          assert.equal(stored, undefined, `${r.key}: nothing stored`);
        }
      }
      await waitFor(() => budget.current === 0);
      assert.deepEqual(await openUploads(stack.cos(), bucket), []);
      assert.deepEqual(violations, []);
    });
  }

  test('the store refuses a part while the client goes on sending into the next: its buffer is dropped, never reused', async () => {
    const before = dropped;
    for (let i = 0; i < 4; i++) {
      const key = `refused${i}.bin`;
      stack.store.faults.add({ op: 'UploadPart', key, count: Infinity, action: { status: 500, code: 'InternalError' } });
      const s = await raw();
      try {
        // Passive, then active mode.
        const data = i % 2 === 0 ? await s.startTransfer(`STOR ${key}`) : await startActive(s, `STOR ${key}`);
        data.setNoDelay(true);
        // A whole part at once, then slowly: the failure of part 1 finds part 2 being read into.
        await send(data, Buffer.alloc(PART + 1, 1));
        let reply: number | undefined;
        void s.read(30_000).then((r) => (reply = r.code));
        while (reply === undefined && !data.destroyed) {
          await send(data, Buffer.alloc(16 * 1024, 2));
          await sleep(2);
        }
        // Another upload now takes the budget's buffers while the first client still sends.
        const other = await seededBytes(`after-refused${i}`, 2 * PART + 5);
        const t = await raw();
        try {
          const d = i % 2 === 0 ? await startActive(t, `STOR after-refused${i}.bin`) : await t.startTransfer(`STOR after-refused${i}.bin`);
          const going = writeBytes(data, 2 * PART, 8 * 1024);
          await sendRagged(d, other, i);
          d.end();
          assert.equal((await t.read(30_000)).code, 226);
          data.destroy();
          await going;
        } finally {
          t.close();
        }
        await waitFor(() => reply !== undefined);
        assert.equal(reply, 451);
        assert.equal(await objectHash(stack.cos(), bucket, `after-refused${i}.bin`), sha256OfBuffer(other));
        assert.equal(await objectHash(stack.cos(), bucket, key), undefined);
      } finally {
        s.close();
      }
    }
    assert.deepEqual(violations, []);
    assert.ok(dropped > before, 'the case was met: a part buffer lent to a read was given back without its memory');
    await waitFor(() => budget.current === 0);
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
  });
});

describe('in-place reads: idle timeout and an upload too large, mid-part', () => {
  let stack: Stack;

  before(async () => {
    fastRetries();
    stack = await startStack({
      transfer: { minPartSize: PART, singleFileMaxSize: 3 * PART, uploadThreadNum: 1, uploadBufferSize: 3 * PART },
      limits: { dataConnectionTimeoutMs: 400 },
    });
    watch(stack.gateway.context.uploadBuffers);
  });
  after(async () => {
    await stack?.close();
  });

  test('a data connection idle mid-part times out (426) while another upload reuses the buffers; then 552 past the limit', async () => {
    const budget = stack.gateway.context.uploadBuffers;
    const s = await RawSession.open(stack.ftpPort, 'user1', 'pass1');
    const other = await seededBytes('after-idle', 2 * PART + 9);
    try {
      const idle = await s.startTransfer('STOR idle.bin');
      await send(idle, Buffer.alloc(PART + PART / 2, 3));
      assert.equal((await s.read(5_000)).code, 426);
      const t = await RawSession.open(stack.ftpPort, 'user1', 'pass1');
      try {
        const d = await t.startTransfer('STOR after-idle.bin');
        await sendRagged(d, other, 9);
        d.end();
        assert.equal((await t.read(30_000)).code, 226);
        const big = await t.startTransfer('STOR too-big.bin');
        await writeBytes(big, 4 * PART, 200 * 1024);
        big.end();
        assert.equal((await t.read(30_000)).code, 552);
      } finally {
        t.close();
      }
      idle.destroy();
    } finally {
      s.close();
    }
    assert.equal(await objectHash(stack.cos(), bucket, 'after-idle.bin'), sha256OfBuffer(other));
    assert.equal(await objectHash(stack.cos(), bucket, 'idle.bin'), undefined);
    assert.equal(await objectHash(stack.cos(), bucket, 'too-big.bin'), undefined);
    await waitFor(() => budget.current === 0);
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
    assert.deepEqual(violations, []);
  });
});
