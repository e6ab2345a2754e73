// Framing of control-channel lines across TCP segments, ordered execution, parser fixes.
//
// ftp-srv 4.6.3 decodes each TCP chunk on its own and runs the commands of different chunks concurrently, and its
// parser strips every `"` and drops `-x` tokens. Here (patching its FtpConnection/FtpCommands prototypes; ftp-srv
// is pinned to 4.6.3): bytes are buffered until CRLF, each line is decoded as UTF-8 (bytes that are not valid
// UTF-8 become lone surrogates, which the file system refuses with 553), Telnet IAC sequences are dropped, and the
// commands of one connection run one after the other. ABOR and QUIT are the exception while a data transfer runs:
// they must reach the running transfer (ABOR cancels it, QUIT abandons it).
import type { Socket } from 'node:net';
import { commandSpec } from './command-table';
import { dispatch } from './dispatch';
import { type FtpSession, type ParsedCommand, gatewayOf, once } from './registry';

export type { ParsedCommand } from './registry';

/** A control line longer than this (with or without its CRLF) is refused and the connection closed. */
export const MAX_LINE_BYTES = 16 * 1024;
/** Commands queued beyond this pause reading from the client until the queue drains. */
const MAX_QUEUED = 64;

type PatchedConnection = FtpSession & {
  commands: { parse(message: string): ParsedCommand };
  /** Commands being answered, oldest first (for the commands metric; ABOR/QUIT may overlap a transfer). */
  answering?: Answering[];
};

/** The replies one command got: its first final (2xx-5xx) one, or else its last preliminary (1xx) one. */
interface Answering {
  final?: number;
  preliminary?: number;
}

interface LineState {
  pending: Buffer;
  queue: ParsedCommand[];
  running: string | undefined;
  /** Resolves once the running command has answered (its handler has ended). */
  runningDone: Promise<void> | undefined;
  paused: boolean;
  /** Nothing more is read: the connection was refused at admission, or is being closed for a too long line. */
  ignored: boolean;
}

const states = new WeakMap<object, LineState>();

/**
 * Decodes UTF-8 like Python's `surrogateescape`: each byte that is not part of a valid sequence becomes U+DC80..
 * U+DCFF, a lone surrogate that valid UTF-8 can never produce, so names with invalid bytes are recognisable.
 */
export function decodeUtf8Escaped(bytes: Buffer): string {
  let out = '';
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    let len = 0;
    let cp = 0;
    let min = 0;
    if (b >= 0xc2 && b <= 0xdf) [len, cp, min] = [2, b & 0x1f, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [len, cp, min] = [3, b & 0x0f, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [len, cp, min] = [4, b & 0x07, 0x10000];
    let ok = len > 0 && i + len <= n;
    for (let k = 1; ok && k < len; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    if (ok) {
      out += String.fromCodePoint(cp);
      i += len;
    } else {
      out += String.fromCharCode(0xdc00 + b);
      i++;
    }
  }
  return out;
}

/**
 * Drops the Telnet IAC sequences that lead a line (clients send IAC IP IAC DM before ABOR). Elsewhere a 0xFF byte
 * stays: it is not UTF-8, so a name holding one is refused rather than silently changed.
 */
export function stripTelnet(line: Buffer): Buffer {
  let i = 0;
  while (i < line.length && line[i] === 0xff) {
    const next = line[i + 1];
    if (next === undefined || next === 0xff) break;
    i += next >= 0xfb && next <= 0xfe ? 3 : 2; // WILL/WONT/DO/DONT carry an option byte
  }
  return i ? line.subarray(i) : line;
}

/** `VERB arg`: the argument is everything after the first space, exactly as sent (quotes, `-x`, spaces kept). */
export function parseCommandLine(message: string): ParsedCommand {
  const line = message.replace(/^\s+/, '');
  const space = line.indexOf(' ');
  const directive = (space < 0 ? line : line.slice(0, space)).trim().toUpperCase();
  const rest = space < 0 ? '' : line.slice(space + 1);
  return { directive, arg: rest.trim() === '' ? null : rest, flags: [], raw: message };
}

/** Splits buffered bytes into complete CRLF-terminated lines; returns the lines and the unterminated rest. */
export function splitLines(pending: Buffer): { lines: Buffer[]; rest: Buffer } {
  const lines: Buffer[] = [];
  let start = 0;
  for (;;) {
    const eol = pending.indexOf('\r\n', start);
    if (eol < 0) break;
    lines.push(pending.subarray(start, eol));
    start = eol + 2;
  }
  return { lines, rest: pending.subarray(start) };
}

function stateOf(connection: object): LineState {
  let state = states.get(connection);
  if (!state) {
    state = { pending: Buffer.alloc(0), queue: [], running: undefined, runningDone: undefined, paused: false, ignored: false };
    states.set(connection, state);
  }
  return state;
}

function execute(connection: PatchedConnection, command: ParsedCommand): Promise<void> {
  const answering: Answering = {};
  (connection.answering ??= []).push(answering);
  return dispatch(connection, command).then(() => {
    // The one place every command passes once it has been answered: count it with its final reply.
    connection.answering?.splice(connection.answering.indexOf(answering), 1);
    const code = answering.final ?? answering.preliminary;
    if (code !== undefined) gatewayOf(connection)?.events?.command(command.directive, code);
  });
}

/** A transfer (or listing) holds the session: only out-of-band commands run at once. */
function isTransfer(directive: string | undefined): boolean {
  return directive !== undefined && commandSpec(directive)?.data === 'transfer';
}

function pump(connection: PatchedConnection, state: LineState): void {
  if (state.running !== undefined) return;
  const socket = connection.commandSocket;
  if (!socket || socket.destroyed) {
    state.queue.length = 0;
    return;
  }
  const command = state.queue.shift();
  if (!command) return;
  if (state.paused && state.queue.length < MAX_QUEUED / 2) {
    state.paused = false;
    socket.resume();
  }
  state.running = command.directive;
  state.runningDone = execute(connection, command).then(() => {
    state.running = undefined;
    state.runningDone = undefined;
    pump(connection, state);
  });
}

/**
 * The data command (LIST, RETR, STOR...) running on this session, if any: resolves once it has answered. ABOR waits
 * for it, so that the command's own reply (425, 426) comes before ABOR's 226 (RFC 959).
 */
export function runningDataCommand(connection: object): Promise<void> | undefined {
  const state = states.get(connection);
  return state && isTransfer(state.running) ? state.runningDone : undefined;
}

function handleData(this: PatchedConnection, data: Buffer | string): void {
  const state = stateOf(this);
  if (state.ignored) return;
  const chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const { lines, rest } = splitLines(state.pending.length ? Buffer.concat([state.pending, chunk]) : chunk);
  state.pending = Buffer.from(rest);
  // A too long line is refused whether its CRLF came in the same read or not.
  let tooLong = state.pending.length > MAX_LINE_BYTES;
  for (const bytes of lines) {
    if (bytes.length > MAX_LINE_BYTES) {
      tooLong = true;
      break;
    }
    // An empty line is answered too (dispatch's 500), as vsftpd does: every line gets exactly one reply.
    const command = this.commands.parse(decodeUtf8Escaped(stripTelnet(bytes)));
    if (isTransfer(state.running) && commandSpec(command.directive)?.outOfBand) {
      void execute(this, command);
      continue;
    }
    state.queue.push(command);
  }
  if (tooLong) {
    state.pending = Buffer.alloc(0);
    state.queue.length = 0;
    // One reply: more data may arrive before the connection is gone.
    state.ignored = true;
    this.log.warn({ bytes: MAX_LINE_BYTES }, 'control line too long; closing');
    void this.close(500, 'Command line too long.');
    return;
  }
  if (state.queue.length > MAX_QUEUED && !state.paused && this.commandSocket) {
    state.paused = true;
    this.commandSocket.pause();
  }
  pump(this, state);
}

/**
 * Forgets every line received but not yet run. AUTH TLS calls it: lines that arrived in clear behind AUTH TLS must
 * not run inside the encrypted session (STARTTLS command injection, CVE-2011-0411).
 */
export function discardPendingInput(connection: object): void {
  const state = stateOf(connection);
  state.queue.length = 0;
  state.pending = Buffer.alloc(0);
  if (state.paused) {
    state.paused = false;
    (connection as { commandSocket?: Socket }).commandSocket?.resume();
  }
}

/** Nothing this connection sends is read any more (refused at admission: it only gets its 421). */
export function ignoreInput(connection: object): void {
  const state = stateOf(connection);
  state.ignored = true;
  state.queue.length = 0;
  state.pending = Buffer.alloc(0);
}

export function installControlLines(): void {
  once('control-lines', () => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const FtpConnection = require('ftp-srv/src/connection') as {
      prototype: { _handleData: unknown; reply(this: PatchedConnection, options?: unknown, ...letters: unknown[]): PromiseLike<unknown> };
    };
    const FtpCommands = require('ftp-srv/src/commands') as { prototype: { parse: unknown } };
    /* eslint-enable @typescript-eslint/no-require-imports */
    // The constructor binds `this._handleData` from the prototype, so every new connection gets these.
    FtpConnection.prototype._handleData = handleData;
    FtpCommands.prototype.parse = parseCommandLine;
    const reply = FtpConnection.prototype.reply;
    FtpConnection.prototype.reply = function (this: PatchedConnection, options?: unknown, ...letters: unknown[]) {
      const code = typeof options === 'number' ? options : (options as { code?: unknown } | undefined)?.code;
      // A final reply belongs to the oldest command still waiting for one (ABOR's 426 to the transfer, then its 226).
      if (typeof code === 'number') {
        const waiting = this.answering?.find((a) => a.final === undefined);
        if (waiting && code >= 200) waiting.final = code;
        else if (waiting) waiting.preliminary = code;
      }
      return reply.call(this, options, ...letters);
    };
  });
}
