// The one pre-dispatch step: every command line goes through here, and the declaration in command-table.ts is
// enforced before a handler runs. Also the reply discipline: every reply has a real code and single-line texts (a
// CR or LF from the client can never split a reply), and a handler that fails without replying gets one 451, never
// JavaScript error text.
import { can, refusalReason } from '../filesystem/permissions';
import type { AccountConfig } from '../config/types';
import { commandSpec } from './command-table';
import { type FtpSession, type ParsedCommand, once, registryEntry } from './registry';

/** Replies sent on each connection's control socket so far (to tell whether a failed handler answered). */
const replyCounts = new WeakMap<object, number>();

const LOCAL_ERROR = 'Requested action aborted: local error in processing.';

function repliesOf(session: object): number {
  return replyCounts.get(session) ?? 0;
}

/** The account of a logged-in session, when its file system is ours. */
function accountOf(session: FtpSession): AccountConfig | undefined {
  const fs = session.fs as { account?: AccountConfig } | undefined;
  return fs?.account;
}

/** Replies to one command, enforcing its declaration first. Never rejects. */
export async function dispatch(session: FtpSession, command: ParsedCommand): Promise<void> {
  const { directive } = command;
  const spec = commandSpec(directive);
  const entry = registryEntry(directive);
  const log = session.log.child({ directive });
  log.trace({ command: directive === 'PASS' ? { ...command, arg: '********', raw: 'PASS ********' } : command }, 'Handle command');
  try {
    if (directive === '') return void (await session.reply(500, 'Syntax error, command unrecognized.'));
    if (!spec || !entry?.handler) return void (await session.reply(502, 'Command not implemented.'));
    if (spec.login && !session.authenticated) return void (await session.reply(530, 'Please login with USER and PASS.'));
    if (spec.argument === 'required' && command.arg === null) {
      return void (await session.reply(501, `Syntax error: ${spec.syntax}`));
    }
    if (spec.argument === 'none' && command.arg !== null) {
      return void (await session.reply(501, `Syntax error: ${directive} takes no argument.`));
    }
    const account = accountOf(session);
    if (spec.permission !== 'none' && account && !can(account, spec.permission)) {
      log.warn({ code: 550, reason: refusalReason(account, spec.permission) }, 'refused');
      return void (await session.reply(550, `Permission denied: ${refusalReason(account, spec.permission)}.`));
    }
  } catch (err) {
    log.debug({ err: String(err) }, 'reply failed');
    return;
  }
  const before = repliesOf(session);
  try {
    await entry.handler.call(session, { log, command, previous_command: session.commands.previousCommand });
    session.commands.previousCommand = { ...command };
  } catch (err) {
    log.error({ err: err instanceof Error ? err.message : String(err) }, 'command failed');
    if (repliesOf(session) === before && !session.commandSocket.destroyed) {
      await Promise.resolve(session.reply(451, LOCAL_ERROR)).catch(() => undefined);
    }
  }
}

interface Letter {
  message?: unknown;
  socket?: unknown;
  [key: string]: unknown;
}

/** One line of reply text: CR and LF (and other controls) become spaces. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

function cleanLetter(letter: unknown): unknown {
  if (typeof letter === 'string') return oneLine(letter);
  if (letter && typeof letter === 'object' && typeof (letter as Letter).message === 'string') {
    return { ...(letter as Letter), message: oneLine((letter as Letter).message as string) };
  }
  return letter;
}

type Reply = (this: object, options?: unknown, ...letters: unknown[]) => PromiseLike<unknown>;

/**
 * Wraps ftp-srv's reply (once per process): a code that is not a number 100-599 (ftp-srv passes `err.code` on,
 * e.g. ERR_SOCKET_BAD_PORT with Node's message) becomes 451 with a plain text, and every text is one line.
 */
export function installReplyDiscipline(): void {
  once('reply-discipline', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const FtpConnection = require('ftp-srv/src/connection') as { prototype: { reply: Reply } };
    const reply = FtpConnection.prototype.reply;
    FtpConnection.prototype.reply = function (this: object, options?: unknown, ...letters: unknown[]) {
      const opts = typeof options === 'number' ? { code: options } : ((options ?? {}) as { code?: unknown; socket?: unknown });
      const code = opts.code;
      if (code !== undefined && !(typeof code === 'number' && Number.isInteger(code) && code >= 100 && code <= 599)) {
        return reply.call(this, { ...opts, code: 451 }, LOCAL_ERROR);
      }
      if (!opts.socket) {
        replyCounts.set(this, repliesOf(this) + 1);
        // The client has gone: ftp-srv would log a context-free "Satisfy Parameters Error" at ERROR level for
        // every reply it can no longer send (a client closing right after its command is ordinary).
        const control = (this as { commandSocket?: { writable?: boolean } }).commandSocket;
        if (!control?.writable) return Promise.resolve();
      }
      return reply.call(this, options, ...letters.map(cleanLetter));
    };
  });
}
