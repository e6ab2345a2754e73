// Times one LIST through an FTP server with basic-ftp (after login, so only the listing is measured).
// argv: host port user password path. Prints a ClientReport line (count = entries listed).
import { Client } from 'basic-ftp';
import { elapsed, printReport } from './report';

async function main(): Promise<void> {
  const [host, port, user, password, path] = process.argv.slice(2);
  const client = new Client(600_000);
  try {
    await client.access({ host, port: Number(port), user, password });
    const start = process.hrtime.bigint();
    const entries = await client.list(path);
    printReport(elapsed(start), 0, entries.length);
  } finally {
    client.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`ftp-list: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
