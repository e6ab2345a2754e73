// What every file-system command handler needs: the connection as ftp-srv hands it over, the session's
// CosFileSystem, and one way to turn any failure into its reply. Shared by the command modules of this layer.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { RegistryEntry as BaseEntry } from '../registry';
import type { CosFileSystem } from '../../filesystem/cos-filesystem';
import { replyOf } from '../../filesystem/errors';

export interface Letter {
  raw?: boolean;
  message: string;
}

export interface FsConnection {
  fs?: unknown;
  ip?: string;
  username?: string;
  authenticated?: boolean;
  renameFrom?: unknown;
  server: { options: Record<string, unknown> };
  connector: { waitForConnection(): PromiseLike<Socket>; end(): void };
  reply(code: number | Record<string, unknown>, ...messages: Array<string | Letter>): PromiseLike<unknown>;
}

export interface CommandArgs {
  log: Logger;
  command: { directive: string; arg: string | null; flags: string[]; raw: string };
  previous_command?: { directive?: string };
}

/** A registry entry whose handler runs on a file-system session. */
export type RegistryEntry = BaseEntry<FsConnection>;


export function cosFs(connection: FsConnection): CosFileSystem | undefined {
  const fs = connection.fs as CosFileSystem | undefined;
  return fs && typeof (fs as { walk?: unknown }).walk === 'function' ? fs : undefined;
}

/** `"` doubled inside a quoted path (RFC 959 257 replies). */
export const quoted = (path: string): string => `"${path.replace(/"/g, '""')}"`;

/** Replies with the error's code and message, logged with user and path. */
export async function fail(connection: FsConnection, fs: CosFileSystem, directive: string, arg: string | null, err: unknown): Promise<void> {
  const e = fs.refusal(directive, arg, err);
  const { code, message } = replyOf(e);
  await connection.reply(code, message);
}

/** Wraps one file-system action: no file system -> 550; any error -> its code, logged. */
export function withFs(
  directive: string,
  action: (fs: CosFileSystem, connection: FsConnection, args: CommandArgs) => Promise<void>,
): (this: FsConnection, args: CommandArgs) => Promise<void> {
  return async function (this: FsConnection, args: CommandArgs): Promise<void> {
    const fs = cosFs(this);
    if (!fs) return void (await this.reply(550, 'File system not instantiated.'));
    try {
      await action(fs, this, args);
    } catch (err) {
      await fail(this, fs, directive, args.command.arg, err);
    }
  };
}
