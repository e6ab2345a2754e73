// The [METRICS] listener as an operator's Prometheus sees it: curl scrapes /metrics of a server process while FTP
// clients log in, upload (one upload held open across a scrape), download and overrun single_file_max_size, and
// the counters move by exactly what happened. /healthz answers; /readyz names an account whose key is wrong, and is
// ready once a reload (SIGHUP) fixes it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Client } from 'basic-ftp';
import { startLocalCos } from '../../src/store/localcos/index';
import type { LocalCos } from '../../src/store/localcos/index';
import { accountSection, serverSections } from '../helpers/conf-file';
import { runCli, runTool, startServerProcess, tempDir } from '../helpers/server-process';
import type { ServerProcess } from '../helpers/server-process';

const KEY = 'metricsSecretKey0123456789';
const MIB = 1024 * 1024;

/** Prometheus text format -> `name{label="v",...}` (as printed) -> value. */
function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

async function http(url: string): Promise<{ status: number; body: string }> {
  const r = await runTool('curl', ['-sS', '--max-time', '10', '-w', '\n%{http_code}', url]);
  assert.equal(r.code, 0, r.stderr);
  const at = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(at + 1)), body: r.stdout.slice(0, at) };
}

describe('metrics, health and readiness', () => {
  let store: LocalCos;
  let dir: string;
  let conf: string;
  let server: ServerProcess;
  let base: string;
  const account = (index: number, user: string, secretKey: string): string =>
    accountSection({ index, user, password: `${user}-pw`, secretId: 'AKIDmetrics', secretKey, bucket: 'metricsbucket-1250000000', endpoint: store.url, ownPrefix: true });
  const write = (secondKey: string): void =>
    fs.writeFileSync(
      conf,
      `${account(0, 'mona', KEY)}\n${account(1, 'wrongkey', secondKey)}\n[FILE_OPTION]\nsingle_file_max_size = ${3 * MIB}\n` +
        `${serverSections(path.join(dir, 'logs'), { optional: `min_part_size = ${MIB}\n` })}\n[METRICS]\nlisten = 127.0.0.1:0\ncheck_interval = 1\n`,
      { mode: 0o600 },
    );

  before(async () => {
    dir = tempDir('metrics');
    store = await startLocalCos({ memory: true, credentials: [{ id: 'AKIDmetrics', key: KEY }], buckets: ['metricsbucket-1250000000'] });
    conf = path.join(dir, 'vsftpd.conf');
    write('notTheRightKey');
    server = await startServerProcess(['--config', conf], dir);
    const ready = server.stdout().split('\n').find((l) => l.includes('"msg":"ready'));
    base = (JSON.parse(ready ?? '{}') as { metrics: string }).metrics.replace(/\/metrics$/, '');
  });
  after(async () => {
    server.child.kill('SIGTERM');
    await server.exited();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const scrape = async (): Promise<Map<string, number>> => {
    const r = await http(`${base}/metrics`);
    assert.equal(r.status, 200);
    return parseMetrics(r.body);
  };
  /** How much each series moved between two scrapes (absent = 0). */
  const moved = (a: Map<string, number>, b: Map<string, number>, series: string): number => (b.get(series) ?? 0) - (a.get(series) ?? 0);

  it('--check-config shows [METRICS]', async () => {
    const r = await runCli(['--config', conf, '--check-config'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\[METRICS\]\nlisten = 127\.0\.0\.1:0\ncheck_interval = 1\n/);
  });

  it('/healthz answers; /readyz names the account whose key is wrong', async () => {
    assert.deepEqual(await http(`${base}/healthz`), { status: 200, body: 'ok\n' });
    let ready = await http(`${base}/readyz`);
    for (let i = 0; i < 100 && /not checked yet/.test(ready.body); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ready = await http(`${base}/readyz`);
    }
    assert.equal(ready.status, 503);
    assert.match(ready.body, /\[COS_ACCOUNT_1\] wrong cos_secretkey/);
    assert.ok(!ready.body.includes('COS_ACCOUNT_0'), ready.body);
    const m = await scrape();
    assert.equal(m.get('cosftp_account_ready{section="COS_ACCOUNT_0"}'), 1);
    assert.equal(m.get('cosftp_account_ready{section="COS_ACCOUNT_1"}'), 0);
    assert.equal((await http(`${base}/nothing`)).status, 404);
  });

  it('counters move by what the clients did: logins, commands, transfers, bytes, COS requests, aborts, ports', async () => {
    const start = await scrape();
    let uploadedBeforeRefusal: number | undefined;
    const client = new Client(30_000);
    try {
      await client.access({ host: '127.0.0.1', port: server.port, user: 'mona', password: 'mona-pw' });
      // An upload held open across a scrape: one session, one running transfer, one passive port.
      const body = new PassThrough();
      const upload = client.uploadFrom(body, 'held.bin');
      body.write(Buffer.alloc(MIB / 2, 1));
      let during = await scrape();
      // The part's reservation is made once the data connection is there: wait for both.
      for (let i = 0; i < 100 && (during.get('cosftp_transfers_running') !== 1 || !during.get('cosftp_upload_buffer_bytes')); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        during = await scrape();
      }
      assert.equal(during.get('cosftp_sessions'), 1);
      assert.equal(during.get('cosftp_transfers_running'), 1);
      assert.equal(during.get('cosftp_passive_ports_in_use'), 1);
      // The part being filled holds its reservation in the server-wide upload buffer.
      assert.ok((during.get('cosftp_upload_buffer_bytes') ?? 0) >= MIB, String(during.get('cosftp_upload_buffer_bytes')));
      body.end(Buffer.alloc(MIB / 2, 2));
      assert.equal((await upload).code, 226);
      const afterUpload = await scrape();
      assert.equal(moved(start, afterUpload, 'cosftp_transfer_bytes_total{direction="upload"}'), MIB);
      uploadedBeforeRefusal = afterUpload.get('cosftp_transfer_bytes_total{direction="upload"}') ?? 0;

      // Over single_file_max_size (3 MiB, parts of 1 MiB): refused with 552, its multipart upload aborted.
      // basic-ftp reports the 552, or the data connection the server closed on it (a premature close, or EPIPE /
      // ECONNRESET when the client was writing at that moment); the STOR 5xx counted below is the server's 552.
      await assert.rejects(
        client.uploadFrom(fs.createReadStream('/dev/zero', { end: 4 * MIB - 1 }), 'big.bin'),
        /552|Premature close|EPIPE|ECONNRESET/,
      );
    } finally {
      client.close();
    }
    const file = path.join(dir, 'down.bin');
    const get = await runTool('curl', ['-sS', '--max-time', '30', '-o', file, `ftp://mona:mona-pw@127.0.0.1:${server.port}/held.bin`]);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(fs.statSync(file).size, MIB);
    const refused = await runTool('curl', ['-sS', '--max-time', '30', `ftp://mona:nope@127.0.0.1:${server.port}/`]);
    assert.equal(refused.code, 67);

    // The session gauge and passive ports fall back once the clients are gone.
    let end = await scrape();
    for (let i = 0; i < 50 && (end.get('cosftp_sessions') !== 0 || end.get('cosftp_passive_ports_in_use') !== 0); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      end = await scrape();
    }
    assert.equal(end.get('cosftp_sessions'), 0);
    assert.equal(end.get('cosftp_passive_ports_in_use'), 0);
    assert.equal(end.get('cosftp_transfers_running'), 0);
    assert.equal(end.get('cosftp_upload_buffer_bytes'), 0);
    assert.ok((end.get('cosftp_upload_buffer_limit_bytes') ?? 0) >= MIB);

    const d = (series: string): number => moved(start, end, series);
    assert.equal(d('cosftp_logins_total{result="ok"}'), 2); // basic-ftp and curl's download
    assert.equal(d('cosftp_logins_total{result="failed"}'), 1);
    assert.equal(d('cosftp_commands_total{verb="PASS",class="5xx"}'), 1);
    assert.equal(d('cosftp_commands_total{verb="STOR",class="2xx"}'), 1);
    assert.equal(d('cosftp_commands_total{verb="STOR",class="5xx"}'), 1);
    assert.equal(d('cosftp_commands_total{verb="RETR",class="2xx"}'), 1);
    assert.equal(d('cosftp_transfers_total{direction="upload",result="ok"}'), 1);
    assert.equal(d('cosftp_transfers_total{direction="upload",result="failed"}'), 1);
    assert.equal(d('cosftp_transfers_total{direction="download",result="ok"}'), 1);
    assert.equal(d('cosftp_transfer_duration_seconds_count{direction="upload"}'), 2);
    assert.equal(d('cosftp_transfer_bytes_total{direction="download"}'), MIB);
    // The refused upload's bytes count as received up to the limit (the chunk that crosses it is refused).
    const refusedBytes = (end.get('cosftp_transfer_bytes_total{direction="upload"}') ?? 0) - (uploadedBeforeRefusal ?? 0);
    assert.ok(refusedBytes > 2 * MIB && refusedBytes <= 3 * MIB, String(refusedBytes));
    assert.equal(d('cosftp_multipart_uploads_aborted_total'), 1);
    assert.equal(d('cosftp_cos_requests_total{operation="AbortMultipartUpload",status="204"}'), 1);
    assert.equal(d('cosftp_cos_requests_total{operation="GetObject",status="200"}'), 1);
    assert.equal(d('cosftp_cos_requests_total{operation="PutObject",status="200"}'), 1); // the 1 MiB file: one part
    assert.equal(d('cosftp_cos_requests_total{operation="InitiateMultipartUpload",status="200"}'), 1);
    // The refused upload's part requests: done, or cut off by the abort (status 0).
    const parts = [...end.keys()].filter((k) => k.startsWith('cosftp_cos_requests_total{operation="UploadPart"'));
    assert.ok(parts.reduce((sum, k) => sum + d(k), 0) >= 1, parts.join());
    assert.equal(d('cosftp_cos_request_duration_seconds_count{operation="GetObject"}'), 1);
    assert.equal(end.get('cosftp_cos_retries_total{operation="GetObject"}') ?? 0, 0);
  });

  it('a reload that fixes the key makes /readyz ready', async () => {
    write(KEY);
    server.child.kill('SIGHUP');
    let ready = await http(`${base}/readyz`);
    for (let i = 0; i < 100 && ready.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ready = await http(`${base}/readyz`);
    }
    assert.deepEqual(ready, { status: 200, body: 'ready\n' });
    const m = await scrape();
    assert.equal(m.get('cosftp_accounts_ready'), 2);
  });
});
