// The gateway's own duties: greeting, connection cap, secrets kept out of logs, passive address, graceful close.
import assert from 'node:assert/strict';
import net from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { buildServerConfig } from '../../src/config/defaults';
import { startGateway } from '../../src/ftp/gateway';
import { passivePorts } from '../../src/ftp/passive-connector';
import type { Gateway } from '../../src/ftp/gateway';
import { ControlConnection } from '../helpers/control';
import { randomPassiveRange, startStack } from '../helpers/stack';
import type { Stack } from '../helpers/stack';

/**
 * Connects to the port of a 227 reply and closes again: ftp-srv keeps a 30 s timer per passive listener that only
 * a data connection clears, and it would hold the test process open that long.
 */
async function touchPassivePort(reply: string): Promise<void> {
  const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply);
  assert.ok(m, reply);
  const port = Number(m[5]) * 256 + Number(m[6]);
  await new Promise<void>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve();
    });
    s.once('error', () => resolve());
  });
}

/** A trace-level pino logger writing into memory, to search what was logged. */
function capturingLogger(): { logger: pino.Logger; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { logger: pino({ level: 'trace' }, sink), text: () => chunks.join('') };
}

function gatewayConfig(maxConnectionNum: number) {
  return buildServerConfig({
    accounts: [{ endpoint: 'http://127.0.0.1:9' }],
    network: { listenAddress: '127.0.0.1', listenPort: 0, ...randomPassiveRange() },
    maxConnectionNum,
    configCheckEnable: false,
  });
}

describe('gateway without a store', () => {
  let gateway: Gateway;
  let log: ReturnType<typeof capturingLogger>;
  before(async () => {
    log = capturingLogger();
    gateway = await startGateway(gatewayConfig(2), log.logger);
  });
  after(async () => gateway.close(1000));

  it('greets like the original', async () => {
    const c = await ControlConnection.open(gateway.port);
    const hello = await c.read();
    assert.equal(hello.code, 220);
    assert.match(hello.text, /Welcome to COS FTP Service/);
    c.close();
  });

  it('FEAT advertises what works (UTF8, MLST, SIZE, MDTM, REST STREAM) and no TLS, which is not configured', async () => {
    const c = await ControlConnection.open(gateway.port);
    await c.read();
    const feat = await c.send('FEAT');
    assert.equal(feat.code, 211);
    for (const line of [' UTF8', ' MLST type*;size*;modify*;perm*;', ' SIZE', ' MDTM', ' REST STREAM']) {
      assert.ok(feat.text.split(/\r?\n/).includes(line), `${line} in ${feat.text}`);
    }
    assert.doesNotMatch(feat.text, /AUTH|PBSZ|PROT/);
    assert.equal((await c.send('AUTH TLS')).code, 502);
    c.close();
  });

  it('refuses connections beyond max_connection_num with 421 and accepts again when one leaves', async () => {
    const first = await ControlConnection.open(gateway.port);
    const second = await ControlConnection.open(gateway.port);
    assert.equal((await first.read()).code, 220);
    assert.equal((await second.read()).code, 220);
    const third = await ControlConnection.open(gateway.port);
    const refused = await third.read();
    assert.equal(refused.code, 421);
    assert.ok(await third.waitClosed(), 'refused connection is closed');
    assert.equal(gateway.context.stats.sessions, 2);

    assert.equal((await first.send('QUIT')).code, 221);
    await first.waitClosed();
    for (let i = 0; i < 100 && gateway.context.stats.sessions > 1; i++) await new Promise((r) => setTimeout(r, 20));
    const fourth = await ControlConnection.open(gateway.port);
    assert.equal((await fourth.read()).code, 220);
    second.close();
    fourth.close();
    for (let i = 0; i < 100 && gateway.context.stats.sessions > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(gateway.context.stats.sessions, 0);
  });

  it('a client that resets its control connection is logged in one line below warn, without a stack', async () => {
    const c = await ControlConnection.open(gateway.port);
    assert.equal((await c.read()).code, 220);
    assert.equal((await c.send('USER user1')).code, 331);
    const from = log.text().length;
    c.socket.resetAndDestroy();
    const logged = (): Array<Record<string, unknown>> =>
      log.text().slice(from).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    for (let i = 0; i < 100 && !logged().some((l) => l.msg === 'disconnected'); i++) await new Promise((r) => setTimeout(r, 20));
    const lines = logged();
    const resets = lines.filter((l) => JSON.stringify(l).includes('ECONNRESET'));
    assert.ok(resets.length > 0, `the reset is logged: ${JSON.stringify(lines)}`);
    for (const line of resets) {
      assert.ok(Number(line.level) < 40, `below warn: ${JSON.stringify(line)}`);
      assert.ok(!JSON.stringify(line).includes('stack'), `no stack: ${JSON.stringify(line)}`);
    }
    assert.deepEqual(lines.filter((l) => Number(l.level) >= 40), [], 'nothing at warn or above');
  });

  it('never logs the password, even at trace level', async () => {
    const c = await ControlConnection.open(gateway.port);
    await c.read();
    await c.send('USER user1');
    const secret = 'S3cret#pw;with spaces';
    await c.send(`PASS ${secret}`);
    c.close();
    await new Promise((r) => setTimeout(r, 50));
    const text = log.text();
    assert.match(text, /USER user1/, 'trace logging of commands is on');
    assert.ok(!text.includes('S3cret'), 'password must not appear in the log');
  });
});

describe('gateway close', () => {
  it('stops accepting and closes idle sessions', async () => {
    const gateway = await startGateway(gatewayConfig(0), pino({ level: 'silent' }));
    const c = await ControlConnection.open(gateway.port);
    assert.equal((await c.read()).code, 220);
    await gateway.close(1000);
    assert.ok(await c.waitClosed(), 'session closed');
    await assert.rejects(ControlConnection.open(gateway.port), /ECONNREFUSED/);
  });
});

describe('gateway idle timeout', () => {
  it('closes an idle control connection with 421', async () => {
    const gateway = await startGateway(gatewayConfig(0), pino({ level: 'silent' }), { idleTimeoutMs: 300 });
    try {
      const c = await ControlConnection.open(gateway.port);
      assert.equal((await c.read()).code, 220);
      const bye = await c.read(5000);
      assert.equal(bye.code, 421);
      assert.ok(await c.waitClosed());
    } finally {
      await gateway.close(1000);
    }
  });
});

describe('gateway passive address with masquerade_address', () => {
  for (const [masquerade, expected] of [
    ['10.1.2.3', '10,1,2,3'],
    ['localhost', '127,0,0,1'],
  ] as const) {
    it(`announces ${masquerade} as ${expected}`, async () => {
      const stack = await startStack({ network: { masqueradeAddress: masquerade } });
      try {
        const c = await ControlConnection.open(stack.ftpPort);
        await c.read();
        await c.send('USER user1');
        assert.equal((await c.send('PASS pass1')).code, 230);
        const pasv = await c.send('PASV');
        assert.equal(pasv.code, 227);
        assert.ok(pasv.text.includes(`(${expected},`), pasv.text);
        // The announced address may not be reachable (10.1.2.3); the listener is on 127.0.0.1 all the same.
        await touchPassivePort(pasv.text.replace(/\(\d+,\d+,\d+,\d+,/, '(127,0,0,1,'));
        c.close();
      } finally {
        await stack.close();
      }
    });
  }
});

describe('gateway with the local store', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack.close());

  it('answers PASV with the control connection address when no masquerade_address is set', async () => {
    const c = await ControlConnection.open(stack.ftpPort);
    await c.read();
    assert.equal((await c.send('USER user1')).code, 331);
    assert.equal((await c.send('PASS pass1')).code, 230);
    const pasv = await c.send('PASV');
    assert.equal(pasv.code, 227);
    assert.match(pasv.text, /\(127,0,0,1,\d+,\d+\)/);
    await touchPassivePort(pasv.text);
    c.close();
  });

  it('serves a basic-ftp upload, listing and download', async () => {
    const client = await stack.ftp();
    try {
      const { Readable } = await import('node:stream');
      await client.uploadFrom(Readable.from([Buffer.from('hello cos')]), 'hello.txt');
      const list = await client.list();
      assert.deepEqual(list.map((f) => f.name), ['hello.txt']);
      const chunks: Buffer[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _e, cb) {
          chunks.push(chunk);
          cb();
        },
      });
      await client.downloadTo(sink, 'hello.txt');
      assert.equal(Buffer.concat(chunks).toString(), 'hello cos');
    } finally {
      client.close();
    }
    const head = await stack.cos().headObject({ ...stack.bucket(), Key: 'hello.txt' });
    assert.equal(head.headers?.['content-length'], '9');
  });
});

describe('gateway close with a transfer that outlasts the grace period', () => {
  it('aborts the upload: no object and no multipart upload left', async () => {
    const MIB = 1024 * 1024;
    const stack = await startStack({ transfer: { minPartSize: MIB, singleFileMaxSize: 1024 * MIB } });
    let stop = false;
    try {
      const client = await stack.ftp();
      const { Readable } = await import('node:stream');
      // An endless upload: parts keep going to COS until the server cuts it.
      const source = Readable.from(
        (async function* () {
          for (let i = 0; i < 10_000 && !stop; i++) {
            yield Buffer.alloc(256 * 1024, i % 251);
            await new Promise((r) => setTimeout(r, 5));
          }
        })(),
      );
      const upload = client.uploadFrom(source, 'endless.bin').then(
        () => 'finished',
        () => 'failed',
      );
      for (let i = 0; i < 400 && stack.gateway.context.stats.transfers === 0; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(stack.gateway.context.stats.transfers, 1, 'the upload is running');
      // Let at least one part reach COS, so there is a multipart upload to abort.
      await new Promise((r) => setTimeout(r, 500));
      await stack.gateway.close(200);
      stop = true;
      assert.equal(await upload, 'failed');
      client.close();
      assert.equal(stack.gateway.context.stats.transfers, 0);
      const uploads = await stack.cos().multipartList({ ...stack.bucket(), Prefix: '', Delimiter: '' });
      assert.deepEqual(uploads.Upload ?? [], [], 'no multipart upload left');
      await assert.rejects(stack.cos().headObject({ ...stack.bucket(), Key: 'endless.bin' }), { statusCode: 404 });
    } finally {
      stop = true;
      await stack.close();
    }
  });
});

describe('gateway draining', () => {
  it('lets a running upload finish while another session gets 421 for a new transfer', async () => {
    const stack = await startStack();
    let stop = false;
    try {
      const uploader = await stack.ftp();
      const idle = await ControlConnection.open(stack.ftpPort);
      await idle.read();
      await idle.send('USER user1');
      assert.equal((await idle.send('PASS pass1')).code, 230);
      const { Readable } = await import('node:stream');
      let sent = 0;
      const source = Readable.from(
        (async function* () {
          for (let i = 0; i < 4000 && !stop; i++) {
            sent += 64 * 1024;
            yield Buffer.alloc(64 * 1024, 7);
            await new Promise((r) => setTimeout(r, 5));
          }
        })(),
      );
      const upload = uploader.uploadFrom(source, 'during-drain.bin');
      for (let i = 0; i < 400 && stack.gateway.context.stats.transfers === 0; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(stack.gateway.context.stats.transfers, 1);
      const closing = stack.gateway.close(30_000);
      assert.equal((await idle.send('RETR anything')).code, 421);
      assert.ok(await idle.waitClosed(), 'the idle session is closed');
      stop = true;
      await upload;
      uploader.close();
      await closing;
      const head = await stack.cos().headObject({ ...stack.bucket(), Key: 'during-drain.bin' });
      assert.equal(Number(head.headers?.['content-length']), sent);
    } finally {
      stop = true;
      await stack.close();
    }
  });
});

describe('repeated PASV / EPSV', () => {
  function passivePort(reply: string): number {
    const pasv = /\(\d+,\d+,\d+,\d+,(\d+),(\d+)\)/.exec(reply);
    if (pasv) return Number(pasv[1]) * 256 + Number(pasv[2]);
    const epsv = /\(\|\|\|(\d+)\|\)/.exec(reply);
    assert.ok(epsv, reply);
    return Number(epsv[1]);
  }
  function connectData(port: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
  }

  for (const directive of ['PASV', 'EPSV']) {
    it(`${directive} twice frees the first port and the second one carries the upload`, async () => {
      const stack = await startStack();
      try {
        const c = await ControlConnection.open(stack.ftpPort);
        await c.read();
        await c.send('USER user1');
        assert.equal((await c.send('PASS pass1')).code, 230);
        const listening = passivePorts.inUse;
        const first = passivePort((await c.send(directive)).text);
        const second = passivePort((await c.send(directive)).text);
        assert.notEqual(first, second);
        // The first listener is closed: one passive port in use for this session, not two. (Not checked by
        // connecting to the first port: the other suites' gateways, running meanwhile, may listen there by then.)
        const deadline = Date.now() + 2000;
        while (passivePorts.inUse !== listening + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        assert.equal(passivePorts.inUse, listening + 1);
        const data = await connectData(second);
        c.socket.write('STOR twice.txt\r\n');
        assert.equal((await c.read()).code, 150);
        data.end('second port');
        assert.equal((await c.read()).code, 226);
        c.close();
        const got = await stack.cos().getObject({ ...stack.bucket(), Key: 'twice.txt' });
        assert.equal(String(got.Body), 'second port');
      } finally {
        await stack.close();
      }
    });
  }
});
