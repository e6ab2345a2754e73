// MLSD/MLST, LIST options, and other command-registry entries about names and listings.
// ftp-srv's own handlers for these call fs.get() before fs.list() (extra COS requests), pause the control socket,
// answer MDTM with milliseconds, RMD through DELE, and report the wrong codes; these replace them.
import type { Socket } from 'node:net';
import type { RenameSource } from '../../filesystem/cos-filesystem';
import { type CommandArgs, type FsConnection, type Letter, type RegistryEntry, cosFs, fail, quoted, withFs } from './command-context';
import { ReplyError, replyOf } from '../../util/reply-error';
import { mdtmHandler, mfmtHandler } from './mtime';
import { siteHandler } from './site';
import { once, setCommand, wrapCommand } from '../registry';
import { type Entry, lsLine, mlsxLine } from '../../filesystem/format';
import { splitListArgs } from '../../filesystem/list-args';

/** Resolves on 'drain'; rejects when the socket closes or fails first. */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      socket.off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new Error('Data connection closed by the client.'));
    const onError = (err: Error): void => done(err);
    socket.once('drain', onDrain);
    socket.once('close', onClose);
    socket.once('error', onError);
  });
}

async function writeLines(socket: Socket, lines: string[]): Promise<void> {
  if (socket.destroyed) throw new Error('Data connection closed by the client.');
  if (!socket.write(lines.map((l) => `${l}\r\n`).join(''), 'utf8')) await drained(socket);
}

/** Ends the data connection and waits until everything written has been handed to the network. */
function finish(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return reject(new Error('Data connection closed by the client.'));
    socket.once('error', reject);
    socket.end(() => resolve());
  });
}

type ListMode = 'LIST' | 'NLST' | 'MLSD';

async function listing(connection: FsConnection, args: CommandArgs, mode: ListMode): Promise<void> {
  const fs = cosFs(connection);
  if (!fs) return void (await connection.reply(550, 'File system not instantiated.'));
  const arg = mode === 'MLSD' ? args.command.arg : splitListArgs(args.command.arg).path;
  let socket: Socket;
  try {
    socket = await connection.connector.waitForConnection();
  } catch {
    await connection.reply(425, 'No data connection established; use PASV/EPSV or PORT/EPRT first.');
    connection.connector.end();
    return;
  }
  const cap = fs.maxListFile;
  const now = Date.now();
  const account = fs.account;
  const format = (e: Entry): string => (mode === 'LIST' ? lsLine(e, account, now) : mode === 'NLST' ? e.name : mlsxLine(e, account));
  let started = false;
  try {
    const summary = await fs.walk(
      arg,
      mode,
      // tnftp's mget/mdelete and `ls *.txt` send wildcards; MLSD names a directory (RFC 3659), never a pattern.
      { cap, filesToo: true, glob: mode !== 'MLSD', typedNames: mode === 'NLST', times: mode !== 'NLST' },
      async (target) => {
        if (mode === 'MLSD' && target.kind === 'file') {
          throw new ReplyError(501, `${target.path}: Not a directory.`);
        }
        started = true;
        await connection.reply(150, 'Here comes the directory listing.');
      },
      (entries) => writeLines(socket, entries.map(format)),
    );
    await finish(socket);
    const path = summary.target.path;
    if (summary.capped) {
      fs.log.warn({ command: mode, path, entries: summary.count, maxListFile: cap }, 'listing capped at max_list_file');
      await connection.reply(226, `Listing capped at ${summary.count} entries (max_list_file); more exist in ${path}.`);
    } else {
      fs.log.debug({ command: mode, path, entries: summary.count, requests: summary.requests }, 'listing');
      await connection.reply(226, `Directory send OK (${summary.count} entries).`);
    }
  } catch (err) {
    if (started) {
      fs.log.warn({ command: mode, path: arg, err: replyOf(err).message }, 'listing aborted');
      const { code, message } = replyOf(err, 426);
      await connection.reply(code === 550 ? 451 : code, message);
    } else {
      await fail(connection, fs, mode, arg, err);
    }
  } finally {
    connection.connector.end();
  }
}

/** STAT [path]: without a path the session status; with one, a listing over the control connection. */
async function stat(connection: FsConnection, args: CommandArgs): Promise<void> {
  const fs = cosFs(connection);
  const arg = splitListArgs(args.command.arg).path;
  if (!args.command.arg) {
    const lines = [
      'COS FTP server status:',
      { raw: true, message: ` Connected to ${connection.ip ?? 'unknown'}` },
      { raw: true, message: ` Logged in as ${fs ? fs.user : 'nobody'}` },
      { raw: true, message: ` Working directory ${fs ? fs.currentDirectory() : '/'}` },
      'End of status',
    ];
    return void (await connection.reply(211, ...lines));
  }
  if (!fs) return void (await connection.reply(550, 'File system not instantiated.'));
  const lines: Letter[] = [];
  const now = Date.now();
  try {
    const summary = await fs.walk(
      arg,
      'STAT',
      { cap: fs.maxListFile, filesToo: true, glob: true, times: true },
      async () => undefined,
      async (entries) => {
        for (const e of entries) lines.push({ raw: true, message: ` ${lsLine(e, fs.account, now)}` });
      },
    );
    const end = summary.capped ? `End of status (capped at ${summary.count} entries, max_list_file)` : 'End of status';
    await connection.reply(summary.target.kind === 'dir' ? 212 : 213, `Status of ${summary.target.path}:`, ...lines, end);
  } catch (err) {
    await fail(connection, fs, 'STAT', arg, err);
  }
}

async function mlst(connection: FsConnection, args: CommandArgs): Promise<void> {
  const fs = cosFs(connection);
  if (!fs) return void (await connection.reply(550, 'File system not instantiated.'));
  try {
    const { path, entry } = await fs.entryOf(args.command.arg, 'MLST');
    await connection.reply(250, `Listing ${path}`, { raw: true, message: ` ${mlsxLine(entry, fs.account, path)}` }, 'End');
  } catch (err) {
    await fail(connection, fs, 'MLST', args.command.arg, err);
  }
}

const cwd = withFs('CWD', async (fs, c, args) => {
  const path = await fs.chdir(args.command.arg ?? ''); // never null: the command table requires the argument
  await c.reply(250, `Directory changed to ${path}`);
});

const cdup = withFs('CDUP', async (fs, c) => {
  const path = await fs.chdir('..');
  await c.reply(250, `Directory changed to ${path}`);
});

export function installListingCommands(): void {
  once('filesystem-commands', installFilesystemCommands);
}

function installFilesystemCommands(): void {
  const put = (names: string[], entry: Omit<RegistryEntry, 'directive'>): void => {
    for (const name of names) setCommand<FsConnection>(name, { directive: names, ...entry });
  };

  put(['LIST'], {
    handler(args) {
      return listing(this, args, 'LIST');
    },
    syntax: '{{cmd}} [-options] [<path>]',
    description: 'Long listing of a directory, or of one file',
  });
  put(['NLST'], {
    handler(args) {
      return listing(this, args, 'NLST');
    },
    syntax: '{{cmd}} [<path>]',
    description: 'Names in a directory',
  });
  put(['MLSD'], {
    handler(args) {
      return listing(this, args, 'MLSD');
    },
    syntax: '{{cmd}} [<path>]',
    description: 'Machine-readable listing of a directory',
  });
  put(['MLST'], {
    handler(args) {
      return mlst(this, args);
    },
    syntax: '{{cmd}} [<path>]',
    description: 'Machine-readable facts of one file or directory',
    flags: { feat: 'MLST type*;size*;modify*;perm*;' },
  });
  put(['STAT'], {
    handler(args) {
      return stat(this, args);
    },
    syntax: '{{cmd}} [<path>]',
    description: 'Server status, or a listing over the control connection',
  });
  put(['CWD', 'XCWD'], { handler: cwd, syntax: '{{cmd}} <path>', description: 'Change working directory' });
  put(['CDUP', 'XCUP'], { handler: cdup, syntax: '{{cmd}}', description: 'Change to parent directory' });
  put(['PWD', 'XPWD'], {
    async handler() {
      const fs = cosFs(this);
      await this.reply(257, `${quoted(fs ? fs.currentDirectory() : '/')} is the current directory`);
    },
    syntax: '{{cmd}}',
    description: 'Print working directory',
  });
  put(['MKD', 'XMKD'], {
    handler: withFs('MKD', async (fs, c, args) => {
      const path = await fs.mkdir(args.command.arg ?? '');
      await c.reply(257, `${quoted(path)} created`);
    }),
    syntax: '{{cmd}} <path>',
    description: 'Make directory',
  });
  put(['RMD', 'XRMD'], {
    handler: withFs('RMD', async (fs, c, args) => {
      await fs.removeDirectory(args.command.arg);
      await c.reply(250, 'Remove directory operation successful.');
    }),
    syntax: '{{cmd}} <path>',
    description: 'Remove an empty directory',
  });
  put(['DELE'], {
    handler: withFs('DELE', async (fs, c, args) => {
      await fs.deleteFile(args.command.arg);
      await c.reply(250, 'Delete operation successful.');
    }),
    syntax: '{{cmd}} <path>',
    description: 'Delete a file',
  });
  put(['RNFR'], {
    handler: withFs('RNFR', async (fs, c, args) => {
      c.renameFrom = undefined;
      c.renameFrom = await fs.renameSource(args.command.arg);
      await c.reply(350, 'Ready for RNTO.');
    }),
    syntax: '{{cmd}} <name>',
    description: 'Rename from',
  });
  put(['RNTO'], {
    handler: withFs('RNTO', async (fs, c, args) => {
      const source = c.renameFrom as RenameSource | undefined;
      c.renameFrom = undefined;
      if (!source || args.previous_command?.directive !== 'RNFR') {
        await c.reply(503, 'RNFR required first.');
        return;
      }
      await fs.renameTo(source, args.command.arg);
      await c.reply(250, 'Rename successful.');
    }),
    syntax: '{{cmd}} <name>',
    description: 'Rename to',
  });
  put(['SIZE'], {
    handler: withFs('SIZE', async (fs, c, args) => {
      const info = await fs.fileInfo(args.command.arg, 'SIZE');
      await c.reply(213, String(info.size));
    }),
    syntax: '{{cmd}} <path>',
    description: 'Size of a file',
    flags: { feat: 'SIZE' },
  });
  put(['MDTM'], {
    handler: mdtmHandler,
    syntax: '{{cmd}} [<YYYYMMDDHHMMSS>] <path>',
    description: 'Last-modified time of a file (UTC); with a time first, sets it',
    flags: { feat: 'MDTM' },
  });
  put(['MFMT'], {
    handler: mfmtHandler,
    syntax: '{{cmd}} <YYYYMMDDHHMMSS> <path>',
    description: 'Set the modification time of a file (UTC)',
    flags: { feat: 'MFMT' },
  });
  put(['SITE'], {
    handler: siteHandler,
    syntax: '{{cmd}} CHMOD <mode> <path> | UMASK [<mask>] | HELP',
    description: 'Site commands: CHMOD and UMASK are accepted and change nothing (object storage keeps no modes)',
  });

  // OPTS MLST: every fact is always sent; acknowledge the client's choice instead of ftp-srv's 501.
  wrapCommand('OPTS', (original) =>
    function (args) {
      const [option] = (args.command.arg ?? '').split(' ');
      if (option.toUpperCase() === 'MLST') return this.reply(200, 'MLST OPTS type;size;modify;perm;');
      return original.call(this, args);
    },
  );
}
