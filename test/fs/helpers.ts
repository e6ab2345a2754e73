// Helpers for the file-system tests: direct bucket access through the SDK, external clients as child processes.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import type COS from 'cos-nodejs-sdk-v5';
import type { Stack } from '../helpers/stack';

export const REGION = 'ap-guangzhou';

/** Every key in the bucket under `prefix`, in COS order. */
export async function keysUnder(cos: COS, bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  let marker: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const r = await cos.getBucket({ Bucket: bucket, Region: REGION, Prefix: prefix, Marker: marker, MaxKeys: 1000 });
    keys.push(...r.Contents.map((c) => c.Key));
    if (String(r.IsTruncated) !== 'true') break;
    marker = r.NextMarker || keys[keys.length - 1];
  }
  return keys;
}

export async function putObject(cos: COS, bucket: string, key: string, body: string | Buffer): Promise<void> {
  await cos.putObject({ Bucket: bucket, Region: REGION, Key: key, Body: typeof body === 'string' ? Buffer.from(body) : body });
}

export async function getObject(cos: COS, bucket: string, key: string): Promise<Buffer | undefined> {
  try {
    const r = await cos.getObject({ Bucket: bucket, Region: REGION, Key: key });
    return r.Body as Buffer;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/** `count` small objects `${prefix}f0000` ... under a prefix, 16 at a time. */
export async function seedMany(cos: COS, bucket: string, prefix: string, count: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await putObject(cos, bucket, `${prefix}f${String(i).padStart(4, '0')}`, `entry ${i}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a client; never throws on a non-zero exit (the test asserts on it); killed after timeoutMs. */
export function run(
  file: string,
  args: string[],
  opts: { input?: string; cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      {
        cwd: opts.cwd,
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 32 * 1024 * 1024,
        env: { ...process.env, LC_ALL: 'C.UTF-8', HOME: opts.cwd ?? process.env.HOME, ...opts.env },
      },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: unknown }).code as number | null) ?? 1 : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** The account of a user in the stack. */
export function bucketOf(stack: Stack, user?: string): string {
  return stack.account(user).bucket;
}
