// Explicit FTPS (AUTH TLS, [TLS] section): configuration checks, FEAT, force_local_logins_ssl, and byte-identical
// uploads and downloads over encrypted control and data connections with curl, lftp and Python's ftplib.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import net from 'node:net';
import tls from 'node:tls';
import { parseConfig } from '../../src/config/load';
import { ControlConnection } from '../helpers/control';
import { type Stack, startStack } from '../helpers/stack';
import { run } from '../fs/helpers';

const MIB = 1024 * 1024;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let dir: string;
let certFile: string;
let keyFile: string;

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ftps-'));
  certFile = path.join(dir, 'cert.pem');
  keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile,
    '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
});

after(() => rmSync(dir, { recursive: true, force: true }));

const ACCOUNT = `[COS_ACCOUNT_0]
cos_secretid = id
cos_secretkey = key
cos_bucket = b-1250000000
cos_region = ap-guangzhou
home_dir = /home/u
ftp_login_user_name = u
ftp_login_user_password = p
authority = RW
`;

describe('[TLS] configuration', () => {
  test('certificate and key are read and checked; every problem names its key', () => {
    const ok = parseConfig(`${ACCOUNT}[TLS]\nssl_enable = true\nrsa_cert_file = ${certFile}\nrsa_private_key_file = ${keyFile}\nforce_local_logins_ssl = true\n`, path.join(dir, 'a.conf'));
    assert.deepEqual(ok.config.network.tls, { certFile, keyFile, forceLogins: true, forceData: false });
    assert.equal(parseConfig(ACCOUNT, 'x').config.network.tls, undefined);

    const problems = (text: string): string => {
      try {
        parseConfig(`${ACCOUNT}[TLS]\n${text}`, path.join(dir, 'b.conf'));
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    assert.match(problems('ssl_enable = true\n'), /\[TLS\] rsa_cert_file is required[\s\S]*\[TLS\] rsa_private_key_file is required/);
    assert.match(problems(`ssl_enable = true\nrsa_cert_file = missing.pem\nrsa_private_key_file = ${keyFile}\n`), /\[TLS\] rsa_cert_file .*missing\.pem: no such file/);
    assert.match(problems(`ssl_enable = true\nrsa_cert_file = ${keyFile}\nrsa_private_key_file = ${keyFile}\n`), /not a matching PEM certificate and key/);
    assert.match(problems('force_local_logins_ssl = yes\n'), /force_local_logins_ssl = true needs ssl_enable = true/);
    assert.match(problems('force_local_data_ssl = yes\n'), /force_local_data_ssl = true needs ssl_enable = true/);
    assert.match(problems('ssl_enable = maybe\n'), /\[TLS\] ssl_enable must be true or false/);
  });
});

describe('FTPS sessions', () => {
  let stack: Stack;
  let upload: Buffer;
  let uploadFile: string;

  before(async () => {
    stack = await startStack({
      transfer: { minPartSize: MIB, uploadThreadNum: 4 },
      network: { tls: { certFile, keyFile, forceLogins: true, forceData: false } },
    });
    upload = randomBytes(3 * MIB + 12345);
    uploadFile = path.join(dir, 'upload.bin');
    writeFileSync(uploadFile, upload);
  });
  after(async () => stack?.close());

  const objectHash = async (key: string): Promise<string> => {
    const r = await stack.cos().getObject({ ...stack.bucket(), Key: key });
    return sha256(r.Body as Buffer);
  };

  test('FEAT offers AUTH TLS; USER before AUTH TLS is refused (force_local_logins_ssl)', async () => {
    const c = await ControlConnection.open(stack.ftpPort);
    await c.read();
    const feat = await c.send('FEAT');
    assert.match(feat.text, / AUTH TLS/);
    assert.match(feat.text, / PBSZ/);
    const user = await c.send('USER user1');
    assert.equal(user.code, 530);
    assert.match(user.text, /must use encryption/);
    c.close();
  });

  test('curl --ssl-reqd: upload (multipart), listing and download are byte-identical', async () => {
    const url = stack.url('user1', 'curl.bin');
    const put = await run('curl', ['-sS', '--ssl-reqd', '-k', '-T', uploadFile, url]);
    assert.equal(put.code, 0, put.stderr);
    assert.equal(await objectHash('curl.bin'), sha256(upload));
    const list = await run('curl', ['-sS', '--ssl-reqd', '-k', stack.url('user1', '')]);
    assert.match(list.stdout, /curl\.bin/);
    const out = path.join(dir, 'curl-down.bin');
    const get = await run('curl', ['-sS', '--ssl-reqd', '-k', '-o', out, url]);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(sha256(readFileSync(out)), sha256(upload));
    const plain = await run('curl', ['-sS', stack.url('user1', '')]);
    assert.notEqual(plain.code, 0, 'plain FTP login is refused');
  });

  for (const passive of [true, false]) {
    test(`lftp (${passive ? 'passive' : 'active'}): put and get over TLS are byte-identical (no bytes lost at close)`, async () => {
      const name = `lftp-${passive ? 'pasv' : 'port'}.bin`;
      const out = path.join(dir, `down-${name}`);
      const r = await run('lftp', ['-c', [
        'set ssl:verify-certificate no', 'set ftp:ssl-force yes', 'set ftp:ssl-protect-data yes',
        `set ftp:passive-mode ${passive ? 'yes' : 'no'}`, 'set net:max-retries 1',
        `open -u user1,pass1 -p ${stack.ftpPort} 127.0.0.1`, `put ${uploadFile} -o ${name}`, `get ${name} -o ${out}`,
      ].join('; ')], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await objectHash(name), sha256(upload));
      assert.equal(sha256(readFileSync(out)), sha256(upload));
    });
  }

  test('empty listings and empty files over TLS data connections (lftp mirror, Python passive and active)', async () => {
    const tree = path.join(dir, 'tree');
    execFileSync('mkdir', ['-p', path.join(tree, 'empty-dir'), path.join(tree, 'sub')]);
    writeFileSync(path.join(tree, 'empty.txt'), '');
    writeFileSync(path.join(tree, 'sub', 'a.txt'), 'a');
    const r = await run('lftp', ['-c', [
      'set ssl:verify-certificate no', 'set ftp:ssl-force yes', 'set ftp:ssl-protect-data yes', 'set net:max-retries 1',
      `open -u user1,pass1 -p ${stack.ftpPort} 127.0.0.1`, `mirror -R ${tree} /tree`, 'cls -1 /tree/empty-dir',
    ].join('; ')], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const keys = (await stack.cos().getBucket({ ...stack.bucket(), Prefix: 'tree/' })).Contents.map((c) => c.Key).sort();
    assert.deepEqual(keys, ['tree/', 'tree/empty-dir/', 'tree/empty.txt', 'tree/sub/', 'tree/sub/a.txt']);
    const script = `
import ftplib, ssl, io, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
f = ftplib.FTP_TLS(context=ctx)
f.connect('127.0.0.1', int(sys.argv[1])); f.auth(); f.login('user1', 'pass1'); f.prot_p()
for passive in (True, False):
    f.set_pasv(passive)
    buf = io.BytesIO(); f.retrbinary('RETR /tree/empty.txt', buf.write)
    print(passive, f.nlst('/tree/empty-dir'), len(buf.getvalue()))
f.quit()
`;
    const py = await run('python3', ['-c', script, String(stack.ftpPort)]);
    assert.equal(py.code, 0, py.stderr);
    assert.equal(py.stdout, 'True [] 0\nFalse [] 0\n');
  });

  test('Python ftplib FTP_TLS: passive and active, STOR and RETR byte-identical', async () => {
    const script = `
import ftplib, ssl, io, hashlib, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
data = open(sys.argv[2], 'rb').read()
f = ftplib.FTP_TLS(context=ctx)
f.connect('127.0.0.1', int(sys.argv[1])); f.auth(); f.login('user1', 'pass1'); f.prot_p()
for passive in (True, False):
    f.set_pasv(passive)
    name = 'py-%s.bin' % ('pasv' if passive else 'port')
    f.storbinary('STOR ' + name, io.BytesIO(data))
    buf = io.BytesIO(); f.retrbinary('RETR ' + name, buf.write)
    print(name, hashlib.sha256(buf.getvalue()).hexdigest())
f.quit()
`;
    const r = await run('python3', ['-c', script, String(stack.ftpPort), uploadFile]);
    assert.equal(r.code, 0, r.stderr);
    const expected = sha256(upload);
    assert.equal(r.stdout, `py-pasv.bin ${expected}\npy-port.bin ${expected}\n`);
    assert.equal(await objectHash('py-pasv.bin'), expected);
    assert.equal(await objectHash('py-port.bin'), expected);
  });
});

/** A control connection that reads reply lines, plain or (after `upgrade`) over TLS. */
class TlsControl {
  private buffer = '';
  private waiters: Array<() => void> = [];
  closed = false;
  private constructor(private socket: net.Socket | tls.TLSSocket) {
    this.listen(socket);
  }

  static async open(port: number): Promise<TlsControl> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const c = new TlsControl(socket);
    await c.line();
    return c;
  }

  private listen(socket: net.Socket): void {
    socket.on('data', (d: Buffer) => {
      this.buffer += d.toString('utf8');
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The next reply line (multi-line replies: their last line), or undefined once closed. */
  async line(timeoutMs = 10_000): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /^(\d{3}) .*\r\n/m.exec(this.buffer);
      if (m) {
        this.buffer = this.buffer.slice(m.index + m[0].length);
        return m[0].trim();
      }
      if (this.closed) return undefined;
      if (Date.now() > deadline) throw new Error(`no reply; have ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  write(text: string): void {
    this.socket.write(text);
  }

  async send(line: string): Promise<string | undefined> {
    this.write(`${line}\r\n`);
    return this.line();
  }

  /** After a 234: the TLS handshake on the same connection; earlier unread text is dropped. */
  async upgrade(): Promise<void> {
    const plain = this.socket as net.Socket;
    plain.removeAllListeners('data');
    const secure = tls.connect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    this.socket = secure;
    this.buffer = '';
    this.listen(secure);
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('FTPS protocol rules', () => {
  let stack: Stack;
  let forced: Stack;
  before(async () => {
    stack = await startStack({ idleTimeoutMs: 1500, network: { tls: { certFile, keyFile, forceLogins: false, forceData: false } } });
    forced = await startStack({ network: { tls: { certFile, keyFile, forceLogins: true, forceData: true } } });
  });
  after(async () => {
    await stack?.close();
    await forced?.close();
  });

  test('commands sent in clear behind AUTH TLS are dropped, not run inside TLS (STARTTLS injection)', async () => {
    const c = await TlsControl.open(stack.ftpPort);
    c.write('AUTH TLS\r\nUSER user1\r\nPASS pass1\r\nMKD /injected\r\n');
    assert.match((await c.line()) ?? '', /^234 /);
    await c.upgrade();
    assert.match((await c.send('PWD')) ?? '', /^530 /, 'not logged in: the injected USER/PASS never ran');
    c.close();
    const keys = await stack.cos().getBucket({ ...stack.bucket(), Prefix: 'injected' });
    assert.equal(keys.Contents.length, 0);
  });

  test('a login made before AUTH TLS is forgotten; logging in again inside TLS works', async () => {
    const c = await TlsControl.open(stack.ftpPort);
    assert.match((await c.send('USER user1')) ?? '', /^331 /);
    assert.match((await c.send('PASS pass1')) ?? '', /^230 /);
    assert.match((await c.send('AUTH TLS')) ?? '', /^234 /);
    await c.upgrade();
    assert.match((await c.send('PWD')) ?? '', /^530 /);
    assert.match((await c.send('USER user1')) ?? '', /^331 /);
    assert.match((await c.send('PASS pass1')) ?? '', /^230 /);
    assert.match((await c.send('AUTH TLS')) ?? '', /^503 /, 'a second AUTH TLS');
    c.close();
  });

  test('a client that sends AUTH TLS and never handshakes is disconnected', async () => {
    const c = await TlsControl.open(stack.ftpPort);
    assert.match((await c.send('AUTH TLS')) ?? '', /^234 /);
    for (let i = 0; i < 100 && !c.closed; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(c.closed, 'closed by the server within 10 s (idle timeout 1.5 s)');
  });

  test('PROT C keeps data in clear (curl --ftp-ssl-control); PBSZ/PROT need AUTH TLS first', async () => {
    const body = randomBytes(100_000);
    await stack.cos().putObject({ ...stack.bucket(), Key: 'clear-data.bin', Body: body });
    const out = path.join(dir, 'clear-data.bin');
    const r = await run('curl', ['-sS', '--ftp-ssl-control', '-k', '--max-time', '20', '-o', out, stack.url('user1', 'clear-data.bin')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha256(readFileSync(out)), sha256(body));
    const c = await TlsControl.open(stack.ftpPort);
    assert.match((await c.send('PBSZ 0')) ?? '', /^503 /);
    assert.match((await c.send('PROT P')) ?? '', /^503 /);
    c.close();
  });

  test('force_local_data_ssl: PROT C is refused and no data connection is set up before PROT P', async () => {
    const c = await TlsControl.open(forced.ftpPort);
    assert.match((await c.send('AUTH TLS')) ?? '', /^234 /);
    await c.upgrade();
    assert.match((await c.send('USER user1')) ?? '', /^331 /);
    assert.match((await c.send('PASS pass1')) ?? '', /^230 /);
    assert.match((await c.send('PBSZ 0')) ?? '', /^200 /);
    assert.match((await c.send('PROT C')) ?? '', /^536 /);
    assert.match((await c.send('EPSV')) ?? '', /^521 /);
    assert.match((await c.send('PROT P')) ?? '', /^200 /);
    assert.match((await c.send('EPSV')) ?? '', /^229 /);
    c.close();
  });
});

describe('implicit FTPS (implicit_ssl)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ network: { tls: { certFile, keyFile, forceLogins: true, forceData: true, implicitPort: 0 } } });
  });
  after(async () => stack?.close());

  test('implicit_ssl and implicit_ssl_port are read and need ssl_enable', () => {
    const on = parseConfig(`${ACCOUNT}[TLS]\nssl_enable = true\nrsa_cert_file = ${certFile}\nrsa_private_key_file = ${keyFile}\nimplicit_ssl = true\n`, path.join(dir, 'i.conf'));
    assert.equal(on.config.network.tls?.implicitPort, 990);
    assert.throws(() => parseConfig(`${ACCOUNT}[TLS]\nimplicit_ssl = true\n`, 'x'), /\[TLS\] implicit_ssl = true needs ssl_enable = true/);
    assert.throws(() => parseConfig(`${ACCOUNT}[TLS]\nimplicit_ssl_port = 99999\n`, 'x'), /\[TLS\] implicit_ssl_port/);
  });

  test("curl ftps:// (TLS from the first byte): upload, listing and download byte-identical, data protected", async () => {
    const port = stack.gateway.implicitTlsPort;
    assert.ok(port);
    const body = randomBytes(300_000);
    const src = path.join(dir, 'implicit-up.bin');
    writeFileSync(src, body);
    const url = (p: string): string => `ftps://user1:pass1@127.0.0.1:${port}/${p}`;
    const put = await run('curl', ['-sS', '-k', '-T', src, url('implicit.bin')]);
    assert.equal(put.code, 0, put.stderr);
    const list = await run('curl', ['-sS', '-k', url('')]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /implicit\.bin/);
    const out = path.join(dir, 'implicit-down.bin');
    const get = await run('curl', ['-sS', '-k', '-o', out, url('implicit.bin')]);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(sha256(readFileSync(out)), sha256(body));
  });

  test('a plain-text client on the implicit port gets nothing and is closed; the explicit port still works', async () => {
    const port = stack.gateway.implicitTlsPort as number;
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    let got = '';
    s.on('data', (c: Buffer) => (got += c.toString('latin1')));
    s.write('USER user1\r\n');
    await new Promise((resolve) => s.once('close', resolve));
    assert.doesNotMatch(got, /^2\d\d /m);
    const c = await ControlConnection.open(stack.ftpPort);
    assert.equal((await c.read()).code, 220);
    c.close();
  });
});
