// Scale-out, end to end: HAProxy (the configurations shipped in conf/) in front of two gateway processes on
// 127.0.0.2 and 127.0.0.3 with the PROXY protocol, one local store. Real clients (basic-ftp, curl, lftp) through
// the balancer, passive and active, some from their own loopback addresses: every byte comes back identical, and
// the gateways log each client's address, never the balancer's. One gateway is drained with SIGTERM mid-run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runClient } from './clients';
import type { ClientReport, Kind } from './clients';
import { BALANCER_SOURCE, startCluster } from './harness';
import type { Cluster, GatewayProcess } from './harness';

const KIB = 1024;
const size = (): number => 64 * KIB + Math.floor(Math.random() * 448 * KIB);

type Settled = { report: ClientReport } | { error: Error };

/** Settles at once, so that a client failing early is reported with the others instead of as an unhandled rejection. */
function settle(run: Promise<ClientReport>): Promise<Settled> {
  return run.then(
    (report) => ({ report }),
    (error: Error) => ({ error }),
  );
}

/** The reports, when every client succeeded; otherwise fails listing every client's error. */
function fulfilled(results: Settled[]): ClientReport[] {
  const errors = results.flatMap((r) => ('error' in r ? [r.error.message] : []));
  assert.deepEqual(errors, [], `client errors:\n${errors.join('\n')}`);
  return results.map((r) => (r as { report: ClientReport }).report);
}

/** Uploads and downloads running on a gateway now, from its own /metrics. */
async function transfersRunning(g: GatewayProcess): Promise<number> {
  const text = await (await fetch(`http://${g.address}:${g.metricsPort}/metrics`)).text();
  return Number(/^cosftp_transfers_running (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Every client address the gateways logged for logins. */
function loginAddresses(gateways: GatewayProcess[]): string[] {
  return gateways.flatMap((g) => g.logLines().filter((l) => l.msg === 'login').map((l) => String(l.ip)));
}

function assertRealAddresses(cluster: Cluster, expected: string[]): void {
  const seen = loginAddresses(cluster.gateways);
  assert.ok(seen.length > 0, 'the gateways logged logins');
  assert.ok(!seen.includes(BALANCER_SOURCE), `a login logged with the balancer's address: ${seen.join(', ')}`);
  for (const address of expected) assert.ok(seen.includes(address), `no login logged from ${address}: ${[...new Set(seen)].join(', ')}`);
  for (const address of seen) assert.ok(expected.includes(address), `unexpected address ${address}`);
  // The balancer's headers were all good and its health checks (connect, reset) are not worth a warning.
  for (const g of cluster.gateways) {
    const warnings = g.logLines().filter((l) => l.msg.startsWith('PROXY protocol') && (l.level ?? 0) >= 40);
    assert.deepEqual(warnings, [], `${g.address} warned about PROXY headers`);
  }
}

describe('two gateways behind HAProxy, data ports forwarded by the balancer (PROXY v1), one drained mid-run', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster('forwarded-passive');
  });
  after(() => cluster.close());

  it('20 clients upload and download byte-identical through the drain; the drained gateway finishes its transfers', async () => {
    const work = cluster.dir;
    // Four slow uploads first (2 MiB at 1 MiB/s), spread over both gateways, so transfers run when the drain starts.
    const slow = [0, 1, 2, 3].map((i) =>
      settle(runClient(cluster, `slow${i}`, { tool: 'curl', mode: i % 2 ? 'pasv' : 'epsv', limitRate: '1M' }, 1, () => 2 * 1024 * KIB, work)),
    );
    // The gateway to drain is one with a slow upload running (its STOR under way, not only logged in: on a loaded
    // machine a login can come long before the STOR, which the drain would then refuse with 421).
    const deadline = Date.now() + 10_000;
    let running = await Promise.all(cluster.gateways.map(transfersRunning));
    while (Math.max(...running) < 1 && Date.now() < deadline) {
      await sleep(20);
      running = await Promise.all(cluster.gateways.map(transfersRunning));
    }
    const busiest = cluster.gateways[running.indexOf(Math.max(...running))];
    const other = cluster.gateways.find((g) => g !== busiest) as GatewayProcess;

    const kinds: Kind[] = [
      { tool: 'basic-ftp', pasv: false },
      { tool: 'basic-ftp', pasv: false },
      { tool: 'basic-ftp', pasv: true },
      { tool: 'basic-ftp', pasv: true },
      { tool: 'curl', mode: 'epsv', from: '127.0.0.21' },
      { tool: 'curl', mode: 'pasv', from: '127.0.0.22' },
      { tool: 'curl', mode: 'active', from: '127.0.0.23' },
      { tool: 'curl', mode: 'active' },
      { tool: 'lftp', mode: 'pasv', from: '127.0.0.24' },
      { tool: 'lftp', mode: 'pasv' },
      { tool: 'lftp', mode: 'active', from: '127.0.0.25' },
      { tool: 'lftp', mode: 'active' },
      { tool: 'basic-ftp', pasv: true },
      { tool: 'curl', mode: 'pasv' },
      { tool: 'lftp', mode: 'pasv', from: '127.0.0.26' },
      { tool: 'curl', mode: 'epsv' },
    ];
    // Each client goes on until the drained gateway has exited (and for three rounds at least), so that sessions
    // start on the other gateway while and after it drains, whatever the machine's speed.
    const drain = { over: false };
    const more = (round: number): boolean => round < 3 || !drain.over;
    const rest = kinds.map((kind, i) => settle(runClient(cluster, `client${i}`, kind, more, size, work)));

    await sleep(400);
    const drainedAt = Date.now();
    busiest.child.kill('SIGTERM');
    const exitCode = await busiest.exited(25_000).finally(() => (drain.over = true));
    assert.equal(exitCode, 0, 'the drained gateway exits 0');
    const reports = fulfilled(await Promise.all([...slow, ...rest]));

    assert.equal(reports.length, 20);
    for (const r of reports) assert.ok(r.verified.length >= (r.name.startsWith('slow') ? 1 : 3), r.name);
    const reconnects = reports.flatMap((r) => r.reconnects.map((m) => `${r.name}: ${m}`));
    for (const m of reconnects) assert.match(m, /421|closed|reset|connect|FIN|exit (7|52|55|56)/i, m);

    // The drained gateway: shutting down, then its running uploads completed (not cut), and nothing failed.
    const drained = busiest.logLines();
    const shutdown = drained.find((l) => l.msg.startsWith('shutting down'));
    assert.ok(shutdown, 'the drained gateway logged its shutdown');
    const finishedAfter = drained.filter((l) => l.msg === 'transfer complete' && l.transfer === 'upload' && l.time >= shutdown.time);
    assert.ok(finishedAfter.some((l) => String(l.path).includes('slow')), 'a running slow upload finished after SIGTERM');
    assert.deepEqual(drained.filter((l) => l.msg === 'transfer failed'), []);
    // New sessions went to the other gateway.
    assert.ok(other.logLines().some((l) => l.msg === 'login' && l.time > drainedAt + 200), 'logins on the other gateway after the drain');
    assertRealAddresses(cluster, ['127.0.0.1', '127.0.0.21', '127.0.0.22', '127.0.0.23', '127.0.0.24', '127.0.0.25', '127.0.0.26']);
    console.log(`# ${reconnects.length} reconnect(s) during the drain:\n# ${reconnects.join("\n# ")}`);
  });
});

describe('two gateways behind HAProxy, each announcing its own address for passive mode (PROXY v2)', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster('direct-passive');
  });
  after(() => cluster.close());

  it('PASV clients reach the data ports of their own gateway directly; active mode too; the logs name the clients', async () => {
    const kinds: Kind[] = [
      { tool: 'basic-ftp', pasv: true },
      { tool: 'basic-ftp', pasv: true },
      { tool: 'curl', mode: 'pasv', from: '127.0.0.31' },
      { tool: 'curl', mode: 'active', from: '127.0.0.32' },
      { tool: 'lftp', mode: 'pasv', from: '127.0.0.33' },
      { tool: 'lftp', mode: 'active' },
    ];
    const reports = fulfilled(await Promise.all(kinds.map((kind, i) => settle(runClient(cluster, `direct${i}`, kind, 2, size, cluster.dir)))));
    for (const r of reports) {
      assert.equal(r.verified.length, 2, r.name);
      assert.deepEqual(r.reconnects, [], r.name);
    }
    // Both gateways served sessions, and every data connection went to the gateway's own address.
    for (const g of cluster.gateways) assert.ok(g.logLines().some((l) => l.msg === 'transfer complete'), `${g.address} served transfers`);
    assertRealAddresses(cluster, ['127.0.0.1', '127.0.0.31', '127.0.0.32', '127.0.0.33']);
  });
});
