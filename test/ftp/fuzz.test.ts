// Fuzzing the control connection: random and adversarial lines for every declared command, before and after login,
// in clear and inside TLS. Every line must get exactly one well-formed reply (checked by the SYST that follows each
// line: its 215 must come next), and another session must keep working throughout.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'basic-ftp';
import { Readable, Writable } from 'node:stream';
import { COMMANDS } from '../../src/ftp/command-table';
import { ControlConnection, type Reply } from '../helpers/control';
import { type Stack, startStack } from '../helpers/stack';

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const NASTY = [
  '',
  ' ',
  '-la',
  '*',
  '../../../../etc/passwd',
  '/',
  '"quoted name"',
  'a\rb',
  'x\u0000y',
  '%s%n%x',
  '\u00e9\u4e2d\u{1f600}',
  '-1',
  '99999999999999999999',
  '0',
  '|1|127.0.0.1|99999|',
  '|2|::1|1|',
  '127,0,0,1,0,21',
  '256,0,0,1,4,1',
  'TLS',
  'ALL',
  'UTF8 ON',
  'MLST type;size;',
  'CHMOD 777 x',
  'CHMOD',
  'A N',
  'I',
  'S',
  'F',
  '20250101000000 f.txt',
  'x'.repeat(4000),
];

function argFor(rnd: () => number): string {
  if (rnd() < 0.7) return NASTY[Math.floor(rnd() * NASTY.length)];
  const len = Math.floor(rnd() * 40);
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(32 + Math.floor(rnd() * 95));
  return s;
}

/** Lines for every declared command (and some undeclared), without ones that would end the session on purpose. */
function fuzzLines(seed: number, tls: boolean): string[] {
  const rnd = random(seed);
  const lines: string[] = [];
  for (const directive of Object.keys(COMMANDS)) {
    if (directive === 'QUIT' || directive === 'PASS') continue;
    for (let i = 0; i < 6; i++) {
      let arg = argFor(rnd);
      // AUTH TLS in clear would start a handshake this text client does not answer.
      if (directive === 'AUTH' && !tls && /^(tls|ssl|tls-c)$/i.test(arg.trim())) arg = 'KERBEROS';
      const verb = rnd() < 0.2 ? directive.toLowerCase() : directive;
      lines.push(arg === '' ? verb : `${verb} ${arg}`);
    }
  }
  for (let i = 0; i < 30; i++) lines.push(argFor(rnd).replace(/^\s+/, '') || 'Z');
  return lines;
}

async function expectOneReply(c: ControlConnection, line: string): Promise<Reply> {
  c.socket.write(`${line}\r\n`);
  let reply = await c.read(15_000);
  while (reply.code >= 100 && reply.code < 200) reply = await c.read(15_000);
  assert.ok(reply.code >= 200 && reply.code <= 599, `${JSON.stringify(line.slice(0, 80))}: ${JSON.stringify(reply.text.slice(0, 200))}`);
  const syst = await c.send('SYST', 15_000);
  assert.equal(syst.code, 215, `after ${JSON.stringify(line.slice(0, 80))}: an extra reply ${JSON.stringify(syst.text.slice(0, 200))}`);
  return reply;
}

describe('fuzzing the control connection', () => {
  let stack: Stack;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'fuzz-tls-'));
    const certFile = path.join(dir, 'cert.pem');
    const keyFile = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile,
      '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    stack = await startStack({
      network: { tls: { certFile, keyFile, forceLogins: false, forceData: false } },
      limits: { acceptTimeoutMs: 300, connectTimeoutMs: 300 },
    });
  });
  after(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A bystander: logs in once and must keep working while the fuzzing runs. */
  async function bystanderWorks(client: Client, name: string): Promise<void> {
    await client.uploadFrom(Readable.from([Buffer.from(name)]), name);
    const chunks: Buffer[] = [];
    await client.downloadTo(new Writable({ write: (c: Buffer, _e, cb) => void (chunks.push(c), cb()) }), name);
    assert.equal(Buffer.concat(chunks).toString(), name);
  }

  for (const mode of ['plain', 'tls'] as const) {
    for (const phase of ['before login', 'after login'] as const) {
      it(`${mode}, ${phase}: every line answered once, the server and another session keep working`, async () => {
        const bystander = await stack.ftp();
        try {
          let c = await ControlConnection.open(stack.ftpPort);
          assert.equal((await c.read()).code, 220);
          if (mode === 'tls') c = await c.upgrade();
          const loginAgain = async (): Promise<void> => {
            if (phase === 'before login') return;
            assert.equal((await c.send('USER user1')).code, 331);
            assert.equal((await c.send('PASS pass1')).code, 230);
          };
          await loginAgain();
          const lines = fuzzLines(mode === 'plain' ? (phase === 'before login' ? 1 : 2) : phase === 'before login' ? 3 : 4, mode === 'tls');
          let answered = 0;
          for (const [i, line] of lines.entries()) {
            const reply = await expectOneReply(c, line);
            answered++;
            // USER logs out; log in again so later lines run as a user.
            if (/^user\b/i.test(line) && reply.code === 331) await loginAgain();
            if (i % 100 === 0) await bystanderWorks(bystander, `fuzz-${mode}-${phase.replace(' ', '-')}-${i}.txt`);
          }
          assert.equal(answered, lines.length);
          c.close();
          await bystanderWorks(bystander, `fuzz-${mode}-${phase.replace(' ', '-')}-end.txt`);
        } finally {
          bystander.close();
        }
      });
    }
  }
});
