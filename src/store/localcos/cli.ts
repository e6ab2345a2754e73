// `cos-local`: runs the local COS-compatible store as a process.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { type TlsOptions, startLocalCos } from './index';

const USAGE = `Usage: cos-local [--host 127.0.0.1] [--port 9000] [--data DIR | --memory]
                 --credentials ID:KEY [--credentials ID:KEY ...]
                 --bucket NAME-APPID [--bucket NAME-APPID ...] [--admin-token TOKEN]
                 [--region ap-guangzhou] [--tls-cert FILE --tls-key FILE]

A local object store speaking the COS XML API (and AWS SigV4 for S3 tools).
  --port 0        choose a free port (printed on the ready line)
  --data DIR      keep objects in DIR across restarts (default: --memory)
  --admin-token   enable the /-/admin/ fault-injection endpoint, guarded by this token
  --region        the buckets' region (default ap-guangzhou); another region's host name gets NoSuchBucket
  --tls-cert/-key speak HTTPS with this PEM certificate (valid for the buckets' host names) and key`;

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '9000' },
        data: { type: 'string' },
        memory: { type: 'boolean', default: false },
        credentials: { type: 'string', multiple: true, default: [] },
        bucket: { type: 'string', multiple: true, default: [] },
        'admin-token': { type: 'string' },
        region: { type: 'string', default: 'ap-guangzhou' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`cos-local: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`cos-local: invalid --port ${values.port}\n`);
    return 2;
  }
  if (values.data && values.memory) {
    process.stderr.write('cos-local: choose one of --data DIR and --memory\n');
    return 2;
  }
  const credentials: Array<{ id: string; key: string }> = [];
  for (const pair of values.credentials) {
    const colon = pair.indexOf(':');
    if (colon <= 0 || colon === pair.length - 1) {
      process.stderr.write('cos-local: --credentials must be ID:KEY\n');
      return 2;
    }
    credentials.push({ id: pair.slice(0, colon), key: pair.slice(colon + 1) });
  }
  if (credentials.length === 0) {
    process.stderr.write(`cos-local: at least one --credentials ID:KEY is required\n${USAGE}\n`);
    return 2;
  }
  for (const bucket of values.bucket) {
    if (!/^[a-z0-9][a-z0-9-]*-\d+$/.test(bucket)) {
      process.stderr.write(`cos-local: bucket ${bucket} is not NAME-APPID\n`);
      return 2;
    }
  }
  if (!/^[a-z0-9-]+$/.test(values.region)) {
    process.stderr.write(`cos-local: --region ${values.region} is not a region name like ap-guangzhou\n`);
    return 2;
  }
  if (!values['tls-cert'] !== !values['tls-key']) {
    process.stderr.write('cos-local: --tls-cert and --tls-key go together\n');
    return 2;
  }
  let tls: TlsOptions | undefined;
  if (values['tls-cert'] && values['tls-key']) {
    try {
      tls = { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) };
    } catch (err) {
      process.stderr.write(`cos-local: cannot read the TLS certificate or key: ${(err as Error).message}\n`);
      return 2;
    }
  }
  const store = await startLocalCos({
    host: values.host,
    port,
    dataDir: values.data,
    memory: !values.data,
    credentials,
    buckets: values.bucket,
    adminToken: values['admin-token'],
    region: values.region,
    tls,
  });
  const mode = values.data ? `data ${values.data}` : 'memory';
  process.stdout.write(`cos-local listening on ${store.url} (${mode}; buckets: ${values.bucket.join(', ') || 'none'})\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await store.close();
  return 0;
}
