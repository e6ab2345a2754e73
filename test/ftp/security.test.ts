// The attacks of issue 11, each over raw sockets against the real gateway and local store: every one fails safely,
// and the session under attack (or the server) keeps working.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { passivePorts } from '../../src/ftp/passive-connector';
import { openLogFile } from '../../src/log/rotating-file';
import { ControlConnection } from '../helpers/control';
import { type Stack, startStack } from '../helpers/stack';
import { objectSize, openUploads, waitFor } from '../transfer/helpers';

const bucket = 'bucket1-1250000000';

async function login(stack: Stack, from?: string): Promise<ControlConnection> {
  const c = await ControlConnection.open(stack.ftpPort, '127.0.0.1', { localAddress: from });
  assert.equal((await c.read()).code, 220);
  assert.equal((await c.send('USER user1')).code, 331);
  assert.equal((await c.send('PASS pass1')).code, 230);
  return c;
}

/** EPSV, then the data connection (from `from`). */
async function passiveData(c: ControlConnection, from?: string): Promise<{ port: number; socket: net.Socket }> {
  const r = await c.send('EPSV');
  const port = Number(/\|\|\|(\d+)\|/.exec(r.text)?.[1]);
  assert.equal(r.code, 229, r.text);
  const socket = await connect(port, from);
  return { port, socket };
}

function connect(port: number, from?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: from }, () => resolve(s));
    s.once('error', reject);
  });
}

function readAll(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.on('error', () => undefined);
    socket.once('close', () => resolve(text));
  });
}

/** A listener on `host` that counts the connections it gets (for PORT/EPRT targets). */
async function listener(host: string): Promise<{ port: number; connections: () => number; server: net.Server }> {
  let count = 0;
  const server = net.createServer((s) => {
    count++;
    s.on('error', () => undefined);
    s.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { port: (server.address() as net.AddressInfo).port, connections: () => count, server };
}

function capturingLogger(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    logger: pino({ level: 'info' }, sink),
    lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('admission', () => {
  let stack: Stack;
  let log: ReturnType<typeof capturingLogger>;
  before(async () => {
    log = capturingLogger();
    stack = await startStack({ maxConnectionNum: 3, limits: { maxPerIp: 2, banMaxLoginFails: 3, banFindTimeMs: 60_000 }, logger: log.logger });
  });
  after(async () => stack?.close());

  it('over max_per_ip: 421 and closed, and nothing the refused connection sends runs; another address still gets in', async () => {
    const a = await login(stack, '127.0.0.21');
    const b = await login(stack, '127.0.0.21');
    const refused = await ControlConnection.open(stack.ftpPort, '127.0.0.1', { localAddress: '127.0.0.21' });
    refused.socket.write('USER user1\r\nPASS pass1\r\nMKD sneaked-in\r\n');
    const reply = await refused.read();
    assert.equal(reply.code, 421, reply.text);
    assert.ok(await refused.waitClosed(5000), 'the refused connection is closed');
    assert.equal(await objectSize(stack.cos(), bucket, 'sneaked-in/'), undefined, 'MKD of a refused connection did not run');
    const other = await login(stack, '127.0.0.22');
    assert.equal((await other.send('NOOP')).code, 200);
    assert.equal((await a.send('NOOP')).code, 200);
    for (const c of [a, b, other, refused]) c.close();
    await waitFor(() => stack.gateway.context.stats.sessions === 0);
  });

  it('a client that closes before its reply (refused, or right after a command) logs no error', async () => {
    const before = log.lines().length;
    const a = await login(stack, '127.0.0.25');
    const b = await login(stack, '127.0.0.25');
    const refused = await ControlConnection.open(stack.ftpPort, '127.0.0.1', { localAddress: '127.0.0.25' });
    refused.socket.end();
    const quick = await ControlConnection.open(stack.ftpPort, '127.0.0.1', { localAddress: '127.0.0.26' });
    quick.socket.end('USER user1\r\n');
    for (const c of [a, b]) c.close();
    await waitFor(() => stack.gateway.context.stats.sessions === 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const errors = log.lines().slice(before).filter((l) => Number(l.level) >= 50);
    assert.deepEqual(errors, []);
  });

  it('over max_connection_num: 421, closed, nothing runs; a slot freed admits again', async () => {
    const sessions = await Promise.all(['127.0.0.31', '127.0.0.32', '127.0.0.33'].map((ip) => login(stack, ip)));
    const refused = await ControlConnection.open(stack.ftpPort, '127.0.0.1', { localAddress: '127.0.0.34' });
    refused.socket.write('USER user1\r\nPASS pass1\r\nMKD sneaked-in-2\r\n');
    assert.equal((await refused.read()).code, 421);
    assert.ok(await refused.waitClosed(5000));
    assert.equal(await objectSize(stack.cos(), bucket, 'sneaked-in-2/'), undefined);
    sessions[0].close();
    await waitFor(() => stack.gateway.context.stats.sessions === 2);
    const again = await login(stack, '127.0.0.34');
    again.close();
    for (const c of sessions) c.close();
    await waitFor(() => stack.gateway.context.stats.sessions === 0);
  });

  it('bans an address after ban_max_login_fails failures across connections, with a fail2ban-matchable line', async () => {
    const from = '127.0.0.41';
    let closedWith: number | undefined;
    for (let i = 0; i < 2 && closedWith === undefined; i++) {
      const c = await ControlConnection.open(stack.ftpPort, '127.0.0.1', { localAddress: from });
      assert.equal((await c.read()).code, 220);
      for (let k = 0; k < 2; k++) {
        await c.send('USER user1');
        const r = await c.send('PASS wrong');
        if (r.code === 421) closedWith = 421;
        if (r.code !== 530) break;
      }
      c.close();
    }
    assert.equal(closedWith, 421, 'the third failure from the address closes with 421');
    const banned = await ControlConnection.open(stack.ftpPort, '127.0.0.1', { localAddress: from });
    assert.equal((await banned.read()).code, 421, 'a banned address is refused at connect');
    banned.close();
    const fine = await login(stack, '127.0.0.42');
    fine.close();
    const line = log.lines().find((l) => l.msg === 'address banned');
    assert.equal(line?.ip, from);
    // README's fail2ban filter.
    const raw = JSON.stringify(line);
    assert.match(raw, /"ip":"127\.0\.0\.41".*"msg":"address banned"/);
    const failed = log.lines().filter((l) => l.msg === 'login failed' && l.ip === from);
    assert.equal(failed.length, 3);
  });
});

describe('replies', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.close());

  it('every line gets exactly one well-formed reply: undeclared 502 without echo, missing arguments 501, CR inside', async () => {
    const c = await login(stack);
    const cases: Array<[string, number]> = [
      ['XYZZY', 502],
      ['SITE', 501],
      ['PORT', 501],
      ['OPTS', 501],
      ['EPRT', 501],
      ['PWD extra', 501],
      ['EPRT |1|127.0.0.1|99999|', 500],
      ['FOO\rbar baz', 502],
    ];
    for (const [line, code] of cases) {
      const r = await c.send(line);
      assert.equal(r.code, code, `${JSON.stringify(line)} -> ${r.text}`);
      assert.doesNotMatch(r.text, /[\r\n]|Error:|ERR_/, r.text);
      assert.doesNotMatch(r.text, /XYZZY|bar/, 'the client line is not echoed');
    }
    assert.equal((await c.send('NOOP')).code, 200, 'nothing left over: the next reply belongs to NOOP');
    c.close();
  });

  it('a too long line: one 500, then closed', async () => {
    const c = await ControlConnection.open(stack.ftpPort);
    await c.read();
    c.socket.write(`NOOP ${'x'.repeat(20_000)}`);
    c.socket.write('y'.repeat(20_000));
    const r = await c.read();
    assert.equal(r.code, 500);
    assert.ok(await c.waitClosed(5000));
    await assert.rejects(c.read(500), 'no second reply');
  });

  it('a too long line that ends with CRLF in the same write: one 500, then closed, the command not run', async () => {
    const c = await ControlConnection.open(stack.ftpPort);
    await c.read();
    c.socket.write(`NOOP ${'x'.repeat(20_000)}\r\n`);
    const r = await c.read();
    assert.equal(r.code, 500, r.text);
    assert.match(r.text, /too long/);
    assert.ok(await c.waitClosed(5000));
  });

  it('an empty or blank line, or one made only of Telnet commands, gets one 500 (before and after login)', async () => {
    const c = await ControlConnection.open(stack.ftpPort);
    await c.read();
    for (const line of ['', '   ', '\xff\xf4\xff\xf2']) {
      c.socket.write(Buffer.from(`${line}\r\n`, 'latin1'));
      assert.equal((await c.read()).code, 500, JSON.stringify(line));
      assert.equal((await c.send('NOOP')).code, 200, `after ${JSON.stringify(line)}: no second reply`);
    }
    assert.equal((await c.send('USER user1')).code, 331);
    assert.equal((await c.send('PASS pass1')).code, 230);
    c.socket.write('\r\n');
    assert.equal((await c.read()).code, 500);
    assert.equal((await c.send('PWD')).code, 257);
    c.close();
  });

  it('commands before login get 530, declared ones without login (FEAT, SYST) are answered', async () => {
    const c = await ControlConnection.open(stack.ftpPort);
    await c.read();
    assert.equal((await c.send('MKD x')).code, 530);
    assert.equal((await c.send('PORT 127,0,0,1,4,1')).code, 530);
    assert.equal((await c.send('SYST')).code, 215);
    c.close();
  });
});

describe('data-channel policy', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ limits: { acceptTimeoutMs: 1000, connectTimeoutMs: 1000 } });
  });
  after(async () => stack?.close());

  it('PORT/EPRT: octal-looking octets, other hosts and privileged ports are refused (500), no connection is made', async () => {
    const target = await listener('127.0.0.8');
    const own = await listener('127.0.0.10');
    const c = await login(stack, '127.0.0.10');
    try {
      const refused = [
        `EPRT |1|127.0.0.010|${target.port}|`,
        `EPRT |1|127.0.0.8|${target.port}|`,
        `PORT 127,0,0,8,${target.port >> 8},${target.port & 255}`,
        `PORT 127,0,0,010,${own.port >> 8},${own.port & 255}`,
        'PORT 127,0,0,10,0,80',
        'EPRT |1|127.0.0.10|21|',
        `EPRT |1|127.0.0.10|0${own.port}|`,
        'EPRT |1|127.0.0.10|99999|',
        'PORT 127,0,0,10,256,1',
      ];
      for (const line of refused) {
        const r = await c.send(line);
        assert.equal(r.code, 500, `${line}: ${r.text}`);
      }
      assert.equal((await c.send(`EPRT |3|x|${own.port}|`)).code, 522);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(target.connections(), 0, 'no bounce to another host');
      assert.equal(own.connections(), 0);
      // The client's own address and an unprivileged port: accepted, and a listing goes there.
      assert.equal((await c.send(`EPRT |1|127.0.0.10|${own.port}|`)).code, 200);
      const list = await c.send('LIST');
      assert.equal(list.code, 150, list.text);
      assert.equal((await c.read()).code, 226);
      assert.equal(own.connections(), 1);
    } finally {
      c.close();
      target.server.close();
      own.server.close();
    }
  });

  it('a passive port given up for a new PASV/EPSV no longer counts as in use', async () => {
    const before = passivePorts.inUse;
    const c = await login(stack, '127.0.0.13');
    try {
      for (let i = 0; i < 3; i++) assert.equal((await c.send('EPSV')).code, 229);
      await waitFor(() => passivePorts.inUse === before + 1);
    } finally {
      c.close();
    }
    await waitFor(() => passivePorts.inUse === before);
  });

  it('a data connection made for PORT/EPRT and not used is closed when PORT, EPRT, PASV or EPSV replaces it', async () => {
    const sockets: net.Socket[] = [];
    const own = net.createServer((s) => {
      s.on('error', () => undefined);
      s.resume();
      sockets.push(s);
    });
    await new Promise<void>((resolve) => own.listen(0, '127.0.0.12', resolve));
    const port = (own.address() as net.AddressInfo).port;
    const c = await login(stack, '127.0.0.12');
    try {
      assert.equal((await c.send(`EPRT |1|127.0.0.12|${port}|`)).code, 200);
      await waitFor(() => sockets.length === 1);
      assert.equal((await c.send(`PORT 127,0,0,12,${port >> 8},${port & 255}`)).code, 200);
      await waitFor(() => sockets.length === 2);
      await waitFor(() => sockets[0].destroyed);
      assert.equal((await c.send('EPSV')).code, 229);
      await waitFor(() => sockets[1].destroyed);
    } finally {
      c.close();
      own.close();
    }
  });

  it('a passive connection from another address is dropped; the session keeps waiting for its own client', async () => {
    const c = await login(stack, '127.0.0.51');
    try {
      const r = await c.send('EPSV');
      const port = Number(/\|\|\|(\d+)\|/.exec(r.text)?.[1]);
      const intruder = await connect(port, '127.0.0.52');
      await readAll(intruder);
      const own = await connect(port, '127.0.0.51');
      const received = readAll(own);
      const list = await c.send('LIST');
      assert.equal(list.code, 150, list.text);
      assert.equal((await c.read()).code, 226);
      await received;
      assert.equal((await c.send('NOOP')).code, 200, 'the session goes on');
    } finally {
      c.close();
    }
  });

  it('a client that never connects to its passive port gets 425 after accept_timeout, and the session goes on', async () => {
    const c = await login(stack);
    try {
      assert.equal((await c.send('EPSV')).code, 229);
      const started = Date.now();
      const r = await c.send('STOR never.bin', 10_000);
      assert.equal(r.code, 425, r.text);
      assert.ok(Date.now() - started < 5000);
      assert.equal((await c.send('NOOP')).code, 200);
    } finally {
      c.close();
    }
    assert.equal(await objectSize(stack.cos(), bucket, 'never.bin'), undefined);
  });

  it('passive ports are picked at random', async () => {
    const c = await login(stack);
    const ports: number[] = [];
    for (let i = 0; i < 8; i++) {
      const { port, socket } = await passiveData(c);
      ports.push(port);
      socket.destroy();
    }
    c.close();
    const sequential = ports.every((p, i) => i === 0 || p === ports[i - 1] + 1);
    assert.ok(!sequential, `ports ${ports.join(',')}`);
  });
});

describe('data_connection_timeout', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ limits: { dataConnectionTimeoutMs: 1000 } });
  });
  after(async () => stack?.close());

  it('a silent upload data connection ends with 426, nothing stored, no multipart upload left', async () => {
    const c = await login(stack);
    try {
      const { socket } = await passiveData(c);
      socket.on('error', () => undefined);
      assert.equal((await c.send('STOR silent.bin')).code, 150);
      socket.write(Buffer.alloc(1000, 1));
      const r = await c.read(10_000);
      assert.equal(r.code, 426, r.text);
      assert.equal((await c.send('NOOP')).code, 200);
      socket.destroy();
    } finally {
      c.close();
    }
    assert.equal(await objectSize(stack.cos(), bucket, 'silent.bin'), undefined);
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
  });

  it('a download whose client never reads ends with 426 and frees the session', async () => {
    await stack.cos().putObject({ ...stack.bucket(), Key: 'big.bin', Body: Buffer.alloc(32 * 1024 * 1024, 7) });
    const c = await login(stack);
    try {
      const { socket } = await passiveData(c);
      socket.on('error', () => undefined);
      socket.pause();
      assert.equal((await c.send('RETR big.bin')).code, 150);
      const r = await c.read(15_000);
      assert.equal(r.code, 426, r.text);
      assert.equal((await c.send('NOOP')).code, 200);
      socket.destroy();
    } finally {
      c.close();
    }
  });
});

describe('log file', () => {
  it('is created readable by its owner only (0600)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cos-log-'));
    try {
      const file = path.join(dir, 'log', 'cos_v5.log');
      const log = openLogFile(file);
      log.stream.write('{"msg":"x"}\n');
      log.close();
      assert.equal(statSync(file).mode & 0o777, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('idle_session_timeout', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ limits: { idleSessionTimeoutMs: 1000 } });
  });
  after(async () => stack?.close());

  it('a session that sends nothing is closed with 421 after idle_session_timeout; its slot is given back', async () => {
    const c = await login(stack);
    const started = Date.now();
    assert.equal((await c.read(5000)).code, 421);
    assert.ok(await c.waitClosed(5000));
    assert.ok(Date.now() - started < 4000);
    await waitFor(() => stack.gateway.context.stats.sessions === 0);
  });
});
