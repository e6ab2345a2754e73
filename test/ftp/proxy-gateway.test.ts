// The gateway with proxy_protocol on, driven by raw sockets playing the load balancer: the client's address from
// the header is the session's everywhere (logs, the passive peer check, the PORT check), through a balancer that
// forwards the passive ports too; untrusted peers and bad headers are closed and logged, and nothing else notices.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { NetworkConfig } from '../../src/config/types';
import { ControlConnection } from '../helpers/control';
import { startStack } from '../helpers/stack';
import type { Stack } from '../helpers/stack';

interface LogLine {
  msg: string;
  ip?: string;
  peer?: string;
  reason?: string;
  component?: string;
}

function collectingLogger(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text) lines.push(JSON.parse(text) as LogLine);
      done();
    },
  });
  return { logger: pino({ level: 'debug', base: undefined }, stream), lines };
}

/** [NETWORK] proxy_protocol = on with one trusted balancer address. */
const trusting = (balancer: string): Pick<NetworkConfig, 'proxyProtocol'> => ({
  proxyProtocol: { trusted: [{ address: balancer, prefix: 32, family: 'ipv4' }] },
});

const v1 = (client: string, port = 40000): string => `PROXY TCP4 ${client} 127.0.0.1 ${port} 21\r\n`;

/** A control connection as the balancer (127.0.0.1, or `from`) opens it, greeted and logged in. */
async function session(stack: Stack, preamble: string, from?: string): Promise<ControlConnection> {
  const control = await ControlConnection.open(stack.ftpPort, '127.0.0.1', { preamble, localAddress: from });
  assert.equal((await control.read()).code, 220);
  assert.equal((await control.send('USER user1')).code, 331);
  assert.equal((await control.send('PASS pass1')).code, 230);
  return control;
}

/** Connects to a data port from `from`, optionally sending a PROXY header first; resolves with what it received. */
function dataConnection(port: number, from: string, preamble?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from }, () => {
      if (preamble) socket.write(preamble);
    });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

const pasvPort = (text: string): number => {
  const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(text);
  assert.ok(m, text);
  return Number(m[5]) * 256 + Number(m[6]);
};

describe('PROXY protocol: a trusted balancer', () => {
  let stack: Stack;
  let lines: LogLine[];

  before(async () => {
    const log = collectingLogger();
    lines = log.lines;
    stack = await startStack({
      logger: log.logger,
      network: trusting('127.0.0.1'),
      proxyHeaderTimeoutMs: 300,
    });
    await stack.cos().putObject({ ...stack.bucket(), Key: 'hello.txt', Body: 'hello' });
  });
  after(() => stack.close());

  it("logs the client's address from the header, not the balancer's", async () => {
    const control = await session(stack, v1('127.0.0.5'));
    control.close();
    const login = lines.find((l) => l.msg === 'login');
    assert.equal(login?.ip, '127.0.0.5');
  });

  it('passive mode: the client connecting directly, or through the balancer with a header naming it, gets its data', async () => {
    const control = await session(stack, v1('127.0.0.5'));
    const direct = await control.send('PASV');
    const listing = dataConnection(pasvPort(direct.text), '127.0.0.5');
    assert.equal((await control.send('RETR hello.txt')).code, 150);
    assert.equal((await control.read()).code, 226);
    assert.equal(await listing, 'hello');

    const viaBalancer = await control.send('PASV');
    const forwarded = dataConnection(pasvPort(viaBalancer.text), '127.0.0.1', v1('127.0.0.5', 40001));
    assert.equal((await control.send('RETR hello.txt')).code, 150);
    assert.equal((await control.read()).code, 226);
    assert.equal(await forwarded, 'hello');
    control.close();
  });

  it("active mode: PORT must name the client's address from the header, and the server connects there", async () => {
    const control = await session(stack, v1('127.0.0.5'));
    const refused = await control.send('PORT 127,0,0,1,200,10');
    assert.ok(refused.code >= 500, refused.text);

    const listener = net.createServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.5', resolve));
    const port = (listener.address() as net.AddressInfo).port;
    const received = new Promise<string>((resolve) =>
      listener.once('connection', (socket: net.Socket) => {
        let text = '';
        socket.setEncoding('utf8').on('data', (d: string) => (text += d));
        socket.on('close', () => resolve(text));
      }),
    );
    assert.equal((await control.send(`PORT 127,0,0,5,${port >> 8},${port & 255}`)).code, 200);
    assert.equal((await control.send('RETR hello.txt')).code, 150);
    assert.equal((await control.read()).code, 226);
    assert.equal(await received, 'hello');
    listener.close();
    control.close();
  });

  it("a data connection from another address (directly, or through the balancer naming another client) gets nothing", async () => {
    for (const [from, preamble] of [['127.0.0.6', undefined], ['127.0.0.1', v1('127.0.0.6')]] as const) {
      const control = await session(stack, v1('127.0.0.5'));
      const pasv = await control.send('PASV');
      const thief = await dataConnection(pasvPort(pasv.text), from, preamble);
      assert.equal(thief, '');
      control.close();
    }
  });

  it('a v2 LOCAL header (the balancer\'s own health check) gets a session as the balancer', async () => {
    const local = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x20, 0x00, 0x00, 0x00]);
    const control = await ControlConnection.open(stack.ftpPort, '127.0.0.1', { preamble: local });
    assert.equal((await control.read()).code, 220);
    assert.equal((await control.send('QUIT')).code, 221);
    control.close();
  });

  it('malformed, oversized and never-completing headers: closed and logged; an open session keeps working', async () => {
    const bystander = await session(stack, v1('127.0.0.7'));
    const bad = [
      'PROXY TCP4 127.0.0.010 127.0.0.1 1 21\r\n',
      `PROXY UNKNOWN ${'x'.repeat(200)}\r\n`,
      'USER user1\r\n',
      'PROXY TCP4 127.0.0.5 127.0.0.1 ',
    ];
    for (const preamble of bad) {
      const before = lines.length;
      const control = await ControlConnection.open(stack.ftpPort, '127.0.0.1', { preamble });
      assert.equal(await control.waitClosed(3000), true, JSON.stringify(preamble));
      await assert.rejects(control.read(100), /closed/, 'no greeting');
      const logged = lines.slice(before).find((l) => l.msg.startsWith('PROXY protocol: bad or missing header'));
      assert.ok(logged?.reason, JSON.stringify(preamble));
    }
    assert.equal((await bystander.send('NOOP')).code, 200);
    bystander.close();
  });
});

describe('PROXY protocol: an address not in proxy_trusted', () => {
  it('is refused even with a well-formed header, and logged; sessions from the balancer are unaffected', async () => {
    const log = collectingLogger();
    const stack = await startStack({
      logger: log.logger,
      network: trusting('127.0.0.9'),
    });
    try {
      const bystander = await session(stack, v1('127.0.0.5'), '127.0.0.9');
      const spoofer = await ControlConnection.open(stack.ftpPort, '127.0.0.1', { preamble: v1('127.0.0.5') });
      assert.equal(await spoofer.waitClosed(3000), true);
      await assert.rejects(spoofer.read(100), /closed/);
      const direct = await ControlConnection.open(stack.ftpPort, '127.0.0.1');
      assert.equal(await direct.waitClosed(3000), true);
      const refused = log.lines.filter((l) => l.msg.includes('not in proxy_trusted'));
      assert.deepEqual(refused.map((l) => l.peer), ['127.0.0.1', '127.0.0.1']);
      assert.equal((await bystander.send('NOOP')).code, 200);
      bystander.close();
    } finally {
      await stack.close();
    }
  });
});

describe('PROXY protocol and TLS', () => {
  let dir: string;
  let stack: Stack;
  let lines: LogLine[];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'proxy-tls-'));
    const certFile = path.join(dir, 'cert.pem');
    const keyFile = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const log = collectingLogger();
    lines = log.lines;
    stack = await startStack({
      logger: log.logger,
      network: {
        ...trusting('127.0.0.1'),
        tls: { certFile, keyFile, forceLogins: true, forceData: false, implicitPort: 0 },
      },
    });
    await stack.cos().putObject({ ...stack.bucket(), Key: 'hello.txt', Body: 'hello' });
  });
  after(async () => {
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("AUTH TLS: the session keeps the client's address once the control connection is encrypted", async () => {
    const plain = await ControlConnection.open(stack.ftpPort, '127.0.0.1', { preamble: v1('127.0.0.5') });
    assert.equal((await plain.read()).code, 220);
    assert.equal((await plain.send('AUTH TLS')).code, 234);
    plain.socket.removeAllListeners('data');
    const secure = tls.connect({ socket: plain.socket, rejectUnauthorized: false });
    await new Promise((resolve) => secure.once('secureConnect', resolve));
    const control = ControlConnection.over(secure);
    assert.equal((await control.send('USER user1')).code, 331);
    assert.equal((await control.send('PASS pass1')).code, 230);
    assert.equal(lines.filter((l) => l.msg === 'login').pop()?.ip, '127.0.0.5');
    // PROT C (the default): a clear data connection, which must come from the client named in the header.
    const pasv = await control.send('PASV');
    const data = dataConnection(pasvPort(pasv.text), '127.0.0.5');
    assert.equal((await control.send('RETR hello.txt')).code, 150);
    assert.equal((await control.read()).code, 226);
    assert.equal(await data, 'hello');
    control.close();
  });

  it('implicit TLS: the header is read before the handshake, also with the ClientHello in the same segment', async () => {
    const port = stack.gateway.implicitTlsPort as number;
    const raw = net.connect({ port, host: '127.0.0.1' });
    await new Promise((resolve) => raw.once('connect', resolve));
    // Corked: the header and the ClientHello leave in one write, as a balancer may forward them.
    raw.cork();
    raw.write(v1('127.0.0.6'));
    const secure = tls.connect({ socket: raw, rejectUnauthorized: false });
    process.nextTick(() => raw.uncork());
    await new Promise((resolve) => secure.once('secureConnect', resolve));
    const control = ControlConnection.over(secure);
    assert.equal((await control.read()).code, 220);
    assert.equal((await control.send('USER user1')).code, 331);
    assert.equal((await control.send('PASS pass1')).code, 230);
    assert.equal(lines.filter((l) => l.msg === 'login').pop()?.ip, '127.0.0.6');
    control.close();
  });

  it('implicit TLS from an address not in proxy_trusted, or without a header: closed before any handshake', async () => {
    const port = stack.gateway.implicitTlsPort as number;
    for (const from of ['127.0.0.6', '127.0.0.1']) {
      const before = lines.length;
      const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
      const secure = tls.connect({ socket, rejectUnauthorized: false });
      const outcome = await new Promise<string>((resolve) => {
        secure.once('secureConnect', () => resolve('handshake'));
        secure.once('error', (err: Error) => resolve(err.message));
        secure.once('close', () => resolve('closed'));
      });
      secure.destroy();
      assert.notEqual(outcome, 'handshake', from);
      const warned = lines.slice(before).find((l) => l.msg.startsWith('PROXY protocol'));
      assert.ok(warned, `logged for ${from}`);
    }
  });
});

describe('PROXY protocol: per-address limits and bans', () => {
  it('max_per_ip and the login ban count the address in the header, not the balancer', async () => {
    const log = collectingLogger();
    const stack = await startStack({
      logger: log.logger,
      network: trusting('127.0.0.1'),
      limits: { maxPerIp: 2, banMaxLoginFails: 3, banFindTimeMs: 60_000 },
    });
    try {
      // Two sessions of 127.0.0.5 through the balancer; a third is refused, while 127.0.0.6 still gets in.
      const first = await session(stack, v1('127.0.0.5', 40010));
      const second = await session(stack, v1('127.0.0.5', 40011));
      const third = await ControlConnection.open(stack.ftpPort, '127.0.0.1', { preamble: v1('127.0.0.5', 40012) });
      assert.equal((await third.read()).code, 421);
      const other = await session(stack, v1('127.0.0.6', 40013));
      assert.deepEqual(
        log.lines.filter((l) => l.msg === 'connection refused').map((l) => l.ip),
        ['127.0.0.5'],
      );

      // Three wrong passwords from 127.0.0.7 ban 127.0.0.7 only.
      const guesser = await ControlConnection.open(stack.ftpPort, '127.0.0.1', { preamble: v1('127.0.0.7', 40014) });
      assert.equal((await guesser.read()).code, 220);
      for (let i = 0; i < 3; i++) {
        assert.equal((await guesser.send('USER user1')).code, 331);
        // The third failure also ends the connection (max_login_fails): 421 instead of 530.
        assert.equal((await guesser.send('PASS wrong')).code, i < 2 ? 530 : 421);
      }
      await guesser.waitClosed(3000);
      const banned = await ControlConnection.open(stack.ftpPort, '127.0.0.1', { preamble: v1('127.0.0.7', 40015) });
      assert.equal((await banned.read()).code, 421);
      assert.deepEqual(log.lines.filter((l) => l.msg === 'address banned').map((l) => l.ip), ['127.0.0.7']);
      assert.deepEqual([...new Set(log.lines.filter((l) => l.msg === 'login failed').map((l) => l.ip))], ['127.0.0.7']);
      const stillWelcome = await session(stack, v1('127.0.0.8', 40016));
      for (const c of [first, second, third, other, guesser, banned, stillWelcome]) c.close();
    } finally {
      await stack.close();
    }
  });
});
