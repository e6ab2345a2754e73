// Runs bin/ftp-server.js as a child process, the way an operator does, and reads its ready line.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Repository root (this file runs from dist/test/helpers/). */
export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const BIN = path.join(REPO_ROOT, 'bin', 'ftp-server.js');

export interface ServerProcess {
  child: ChildProcess;
  /** Control port from the ready line. */
  port: number;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal name) once the process has ended; rejects after timeoutMs. */
  exited(timeoutMs?: number): Promise<number | string>;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `cosftp-${prefix}-`));
}

/** Runs the CLI to completion (for --help, --check-config, bad configurations). */
export function runCli(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts the server and waits for its ready line (JSON on stdout when not on a terminal). */
export async function startServerProcess(args: string[], cwd: string, options: SpawnOptions = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no ready line within 20 s; stdout: ${out}; stderr: ${err}`));
    }, 20_000);
    const check = (): void => {
      const port = readyPort(out);
      if (port !== undefined) {
        clearTimeout(timer);
        resolve(port);
      }
    };
    child.stdout?.on('data', check);
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before ready; stdout: ${out}; stderr: ${err}`));
    });
  });
  return {
    child,
    port,
    stdout: () => out,
    stderr: () => err,
    exited: (timeoutMs = 30_000) =>
      Promise.race([
        exit,
        new Promise<never>((_, reject) =>
          setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`server did not exit within ${timeoutMs} ms`));
          }, timeoutMs).unref(),
        ),
      ]),
  };
}

/** The port of the first JSON log line whose msg starts with "ready". */
export function readyPort(text: string): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg?.startsWith('ready') && typeof entry.port === 'number') return entry.port;
    } catch {
      // a partial line: wait for more
    }
  }
  return undefined;
}

/** Runs a command line tool; resolves with its exit code and output (never rejects). */
export function runTool(
  file: string,
  args: string[],
  options: { input?: string | Buffer; timeoutMs?: number; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { timeout: options.timeoutMs ?? 60_000, cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
