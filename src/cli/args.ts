// Command-line options of bin/ftp-server.js.
export interface CliOptions {
  config?: string;
  checkConfig: boolean;
  help: boolean;
  version: boolean;
  /** Seconds running transfers may take to finish after SIGINT/SIGTERM. */
  graceSeconds?: number;
  /** Quick start only: control port (default 2121) and listen address (default 127.0.0.1). */
  port?: number;
  listen?: string;
  /** Quick start only: folder of the local object store (default ./data). */
  dataDir?: string;
  /** Seconds between status lines (0 = none). */
  statusSeconds?: number;
  /** --hash-password [argon2id|bcrypt]: print the hash of a password read from the terminal or stdin. */
  hashPassword?: 'argon2id' | 'bcrypt';
}

export const USAGE = `Usage: node bin/ftp-server.js [options]

An FTP server whose storage is Tencent Cloud Object Storage (COS).

Options:
  --config FILE        configuration file (default: conf/vsftpd.conf beside the install).
                       Without one, a quick start runs: a local object store under ./data and
                       the FTP server on 127.0.0.1:2121 with a demo login.
  --check-config       validate the configuration, print it with secrets masked, exit 0 (good) or 2 (bad)
  --hash-password [argon2id|bcrypt]
                       read a password (typed twice without echo, or the first line of stdin) and print
                       its hash for ftp_login_user_password (default argon2id)
  --grace SECONDS      on SIGINT/SIGTERM, how long running transfers may finish (default 30)
  --status SECONDS     interval of the status log line (default 60; 0 = off)
  --port PORT          quick start: control port (default 2121)
  --listen ADDRESS     quick start: address to listen on (default 127.0.0.1)
  --data DIR           quick start: folder of the local object store (default ./data)
  --help               show this help
  --version            show the version

Exit status: 0 after a clean stop, 2 when the configuration is unusable, 1 on other start-up failures.`;

export class UsageError extends Error {}

export function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = { checkConfig: false, help: false, version: false };
  const valueOf = (i: number, name: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
    return v;
  };
  const number = (text: string, name: string, min: number, max: number): number => {
    const n = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text) || n < min || n > max) throw new UsageError(`${name} must be a number from ${min} to ${max}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const take = (): string => {
      if (inline !== undefined) return inline;
      const v = valueOf(i, flag);
      i++;
      return v;
    };
    switch (flag) {
      case '--config':
      case '-c':
        options.config = take();
        break;
      case '--check-config':
        options.checkConfig = true;
        break;
      case '--hash-password': {
        // The scheme is optional: only a following argon2id/bcrypt is taken as its value.
        const next = inline ?? argv[i + 1];
        if (next === 'argon2id' || next === 'bcrypt') {
          options.hashPassword = next;
          if (inline === undefined) i++;
        } else if (inline !== undefined || (next !== undefined && !next.startsWith('-'))) {
          // `--hash-password md5` names a scheme, just not one we have: say so rather than "unknown option md5".
          throw new UsageError(`--hash-password takes argon2id or bcrypt, not ${next}`);
        } else {
          options.hashPassword = 'argon2id';
        }
        break;
      }
      case '--help':
      case '-h':
        options.help = true;
        break;
      case '--version':
      case '-v':
        options.version = true;
        break;
      case '--grace':
        options.graceSeconds = number(take(), flag, 0, 86_400);
        break;
      case '--status':
        options.statusSeconds = number(take(), flag, 0, 86_400);
        break;
      case '--port':
        options.port = number(take(), flag, 0, 65535);
        break;
      case '--listen':
        options.listen = take();
        break;
      case '--data':
        options.dataDir = take();
        break;
      default:
        throw new UsageError(`unknown option ${argv[i]}`);
    }
  }
  return options;
}
