// Every command the server answers, declared once (pyftpdlib's proto_cmds is the model). dispatch.ts enforces the
// declaration before any handler runs: a command not listed here gets 502, one that needs a login gets 530 without
// it, and the argument grammar is checked (501), so no handler ever sees a missing or stray argument. The drain
// refusal, the out-of-band commands during a transfer and the TLS data guard read this table, not lists of their own.
//
// New commands: add a line here and the handler in src/ftp/commands/ (one file per command or small family).

/** What a command may touch, checked against the account's authority before the handler runs; delete is write plus
 *  delete_enable (DELE, RMD, and renames, which delete the source). */
export type Permission = 'read' | 'write' | 'delete' | 'none';

/** required: 501 without one; optional; none: 501 with one. */
export type Argument = 'required' | 'optional' | 'none';

/** transfer: moves data over a data connection; setup: sets one up (PORT, PASV...); none. */
export type DataUse = 'transfer' | 'setup' | 'none';

export interface CommandSpec {
  /** Needs a logged-in session (530 otherwise). */
  login: boolean;
  permission: Permission;
  data: DataUse;
  argument: Argument;
  /** Runs at once even while a transfer holds the session (ABOR, QUIT, STAT without argument). */
  outOfBand?: boolean;
  /** HELP text: the syntax. */
  syntax: string;
}

const spec = (
  login: boolean,
  permission: Permission,
  data: DataUse,
  argument: Argument,
  syntax: string,
  outOfBand = false,
): CommandSpec => ({ login, permission, data, argument, syntax, ...(outOfBand ? { outOfBand } : {}) });

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  // Access control (RFC 959, 2228, 4217)
  USER: spec(false, 'none', 'none', 'required', 'USER <name>'),
  PASS: spec(false, 'none', 'none', 'optional', 'PASS <password>'),
  AUTH: spec(false, 'none', 'none', 'required', 'AUTH TLS'),
  PBSZ: spec(false, 'none', 'none', 'required', 'PBSZ 0'),
  PROT: spec(false, 'none', 'none', 'required', 'PROT P|C'),
  QUIT: spec(false, 'none', 'none', 'none', 'QUIT', true),
  // Session
  FEAT: spec(false, 'none', 'none', 'none', 'FEAT'),
  HELP: spec(false, 'none', 'none', 'optional', 'HELP [<command>]'),
  NOOP: spec(false, 'none', 'none', 'none', 'NOOP'),
  SYST: spec(false, 'none', 'none', 'none', 'SYST'),
  CLNT: spec(false, 'none', 'none', 'optional', 'CLNT <client name>'),
  OPTS: spec(false, 'none', 'none', 'required', 'OPTS <option> [<value>]'),
  TYPE: spec(true, 'none', 'none', 'required', 'TYPE A|A N|I|L 8'),
  MODE: spec(true, 'none', 'none', 'required', 'MODE S'),
  STRU: spec(true, 'none', 'none', 'required', 'STRU F'),
  ALLO: spec(true, 'none', 'none', 'optional', 'ALLO <size>'),
  REST: spec(true, 'none', 'none', 'required', 'REST <offset>'),
  ABOR: spec(true, 'none', 'none', 'none', 'ABOR', true),
  STAT: spec(true, 'read', 'none', 'optional', 'STAT [<path>]'),
  // Data connection set-up
  PASV: spec(true, 'none', 'setup', 'none', 'PASV'),
  EPSV: spec(true, 'none', 'setup', 'optional', 'EPSV [1|2|ALL]'),
  PORT: spec(true, 'none', 'setup', 'required', 'PORT h1,h2,h3,h4,p1,p2'),
  EPRT: spec(true, 'none', 'setup', 'required', 'EPRT |1|<address>|<port>|'),
  // Names and directories
  PWD: spec(true, 'none', 'none', 'none', 'PWD'),
  XPWD: spec(true, 'none', 'none', 'none', 'XPWD'),
  CWD: spec(true, 'read', 'none', 'required', 'CWD <path>'),
  XCWD: spec(true, 'read', 'none', 'required', 'XCWD <path>'),
  CDUP: spec(true, 'read', 'none', 'none', 'CDUP'),
  XCUP: spec(true, 'read', 'none', 'none', 'XCUP'),
  MKD: spec(true, 'write', 'none', 'required', 'MKD <path>'),
  XMKD: spec(true, 'write', 'none', 'required', 'XMKD <path>'),
  RMD: spec(true, 'delete', 'none', 'required', 'RMD <path>'),
  XRMD: spec(true, 'delete', 'none', 'required', 'XRMD <path>'),
  DELE: spec(true, 'delete', 'none', 'required', 'DELE <path>'),
  RNFR: spec(true, 'delete', 'none', 'required', 'RNFR <path>'),
  RNTO: spec(true, 'delete', 'none', 'required', 'RNTO <path>'),
  SIZE: spec(true, 'read', 'none', 'required', 'SIZE <path>'),
  // Reading a time needs read, setting one (`MDTM time path`) write: the handler checks which (an upload-only account
  // running ncftp sets times).
  MDTM: spec(true, 'none', 'none', 'required', 'MDTM [<time>] <path>'),
  MFMT: spec(true, 'write', 'none', 'required', 'MFMT <time> <path>'),
  MLST: spec(true, 'read', 'none', 'optional', 'MLST [<path>]'),
  SITE: spec(true, 'none', 'none', 'required', 'SITE <subcommand> [<arguments>]'),
  // Transfers
  LIST: spec(true, 'read', 'transfer', 'optional', 'LIST [<options>] [<path>]'),
  NLST: spec(true, 'read', 'transfer', 'optional', 'NLST [<path>]'),
  MLSD: spec(true, 'read', 'transfer', 'optional', 'MLSD [<path>]'),
  RETR: spec(true, 'read', 'transfer', 'required', 'RETR <path>'),
  STOR: spec(true, 'write', 'transfer', 'required', 'STOR <path>'),
  APPE: spec(true, 'write', 'transfer', 'required', 'APPE <path>'),
  STOU: spec(true, 'write', 'transfer', 'optional', 'STOU [<name>]'),
};

export function commandSpec(directive: string): CommandSpec | undefined {
  return Object.prototype.hasOwnProperty.call(COMMANDS, directive) ? COMMANDS[directive] : undefined;
}

/** Directives whose commands use `data` (e.g. every transfer command, for the drain refusal). */
export function commandsUsing(data: DataUse): string[] {
  return Object.keys(COMMANDS).filter((name) => COMMANDS[name].data === data);
}
