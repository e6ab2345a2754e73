// Child processes for the benchmark: long-lived servers (parties whose RSS and CPU are measured) and short-lived
// clients whose output is collected.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

export interface Party {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Everything the process printed on stdout so far. */
  stdout(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stderr (and stdout, once ready) is appended here, for post-mortems. */
  logFile: string;
  /** Resolves the start once stdout matches (e.g. the store's URL line). */
  readyOutput?: RegExp;
  /** Resolves the start once this TCP port accepts connections. */
  readyPort?: number;
  timeoutMs?: number;
}

export async function startParty(name: string, command: string, args: string[], opts: StartOptions): Promise<Party> {
  const log = fs.openSync(opts.logFile, 'a');
  const child = spawn(command, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', log] });
  fs.closeSync(log);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    if (out.length > 1_000_000) out = out.slice(-100_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`${name} exited before it was ready; see ${opts.logFile}; stdout: ${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} not ready within ${opts.timeoutMs ?? 30_000} ms; see ${opts.logFile}`);
    }
    const outputOk = !opts.readyOutput || opts.readyOutput.test(out);
    const portOk = opts.readyPort === undefined || (await accepts(opts.readyPort));
    if (outputOk && portOk) break;
    await sleep(50);
  }
  if (child.pid === undefined) throw new Error(`${name}: no pid`);
  return {
    name,
    pid: child.pid,
    child,
    stdout: () => out,
    stop: async () => {
      if (gone) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
  wallSeconds: number;
}

/** Runs a client to completion; never rejects (a failed client is a data point: an error). */
export function runTool(command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 1_800_000);
    const finish = (code: number): void => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, wallSeconds: Number(process.hrtime.bigint() - started) / 1e9 });
    };
    child.once('error', (err) => {
      stderr += String(err);
      finish(-1);
    });
    child.once('close', (code) => finish(code ?? -1));
  });
}

/** A free TCP port on 127.0.0.1 (bound, read, released: a small race, harmless on a quiet machine). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A range of `count` consecutive ports, chosen at random in 30000-59999 and checked free at its ends. */
export async function freePortRange(count: number): Promise<[number, number]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const min = 30000 + Math.floor(Math.random() * (30000 - count));
    if ((await isFree(min)) && (await isFree(min + count - 1))) return [min, min + count - 1];
  }
  throw new Error('no free passive port range');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
