// Checks USER/PASS against the accounts and hands ftp-srv a CosFileSystem.
// Also owns the USER and PASS commands: ftp-srv answers "Username already set" to a second USER, so a client
// whose first PASS failed could never log in on the same connection.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FtpConnection } from 'ftp-srv';
import type { Logger } from 'pino';
import { CosFileSystem } from '../filesystem/cos-filesystem';
import { verifyPassword } from '../util/password-hash';
import type { AccountContext, GatewayContext } from './context';
import type { TlsServerOptions } from './tls';
import { admissionOf } from './admission';
import { gatewayOf, once, setCommand } from './registry';

export type LoginListener = (
  data: { connection: FtpConnection; username: string; password: string },
  resolve: (config: { fs?: CosFileSystem; root?: string; cwd?: string }) => void,
  reject: (err?: Error) => void,
) => void;

/** A failed PASS is answered after this delay: it slows password guessing without hurting real users. */
export const FAILED_LOGIN_DELAY_MS = 300;


const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * The account whose user name and password both match. User names are compared with every account in constant
 * time; an unknown user name still costs one password check (against an account picked by the name), so the
 * answer's delay does not tell which names exist.
 */
export async function findAccount(
  accounts: AccountContext[],
  username: string,
  password: string,
): Promise<AccountContext | undefined> {
  const user = digest(username);
  let found: AccountContext | undefined;
  for (const a of accounts) {
    if (timingSafeEqual(user, digest(a.account.userName)) && !found) found = a;
  }
  const checked = found ?? accounts[user[0] % Math.max(1, accounts.length)];
  if (!checked) return undefined;
  const ok = await verifyPassword(checked.account.password, checked.account.passwordScheme, password);
  return found && ok ? found : undefined;
}

/** Session identity for log lines; the password is never logged. */
function printable(name: string): string {
  return name.replace(/[^\x20-\x7e\u00a0-\uffff]/g, '?').slice(0, 64);
}

export function createLoginHandler(context: GatewayContext): LoginListener {
  const log = context.logger.child({ component: 'login' });
  const login = async (connection: FtpConnection, username: string, password: string): Promise<{ fs?: CosFileSystem; cwd: string }> => {
    const account = await findAccount(context.accounts, username, password);
    context.events?.login(account !== undefined);
    if (!account) {
      log.warn({ user: printable(username), ip: connection.ip }, 'login failed');
      await new Promise((resolve) => setTimeout(resolve, FAILED_LOGIN_DELAY_MS));
      throw new Error('Login incorrect.');
    }
    const sessionLog = context.logger.child({ component: 'fs', user: account.account.userName, session: connection.id });
    const fs = new CosFileSystem({
      account: account.account,
      store: account.store,
      transfers: context.transferServices,
      log: sessionLog as Logger,
      get maxListFile() {
        return context.config.maxListFile;
      },
      get listingMtime() {
        return context.config.listingMtime;
      },
    });
    log.info({ user: account.account.userName, ip: connection.ip, bucket: account.account.bucket, prefix: account.account.prefix }, 'login');
    return { fs, cwd: '/' };
  };
  return ({ connection, username, password }, resolve, reject) => {
    login(connection, username ?? '', password ?? '').then(resolve, reject);
  };
}

interface LoginConnection {
  ip?: string;
  username?: string;
  authenticated?: boolean;
  fs?: unknown;
  renameFrom?: unknown;
  controlEncrypted?: boolean;
  loginFailures?: number;
  server: { options: Pick<TlsServerOptions, 'tlsRequiredForLogin'> };
  login(username: string, password: string): PromiseLike<unknown>;
  close(code?: number, message?: string): PromiseLike<unknown>;
  reply(code: number, ...messages: unknown[]): PromiseLike<unknown>;
}


/** Replaces ftp-srv's USER and PASS. */
export function installLoginCommands(): void {
  once('login-commands', installUserPass);
}

function installUserPass(): void {
  setCommand<LoginConnection>('USER', {
    handler({ command }) {
      const name = command.arg;
      if (!name) return this.reply(501, 'Must provide username.');
      // force_local_logins_ssl: no password may cross the network in clear text (vsftpd's reply).
      if (this.server.options.tlsRequiredForLogin && !this.controlEncrypted) {
        return this.reply(530, 'Non-anonymous sessions must use encryption (AUTH TLS).');
      }
      // A new USER starts a new login, whatever came before (a failed PASS, or another user's session).
      this.authenticated = false;
      this.fs = undefined;
      this.renameFrom = undefined;
      this.username = name;
      return this.reply(331, 'Please specify the password.');
    },
    syntax: '{{cmd}} <username>',
    description: 'Authentication username',
  });
  setCommand<LoginConnection>('PASS', {
    async handler({ command }) {
      if (!this.username) return this.reply(503, 'Login with USER first.');
      if (this.authenticated) return this.reply(202, 'Already logged in.');
      const username = this.username;
      try {
        await this.login(username, command.arg ?? '');
      } catch {
        // Forget the user name: the next attempt starts with USER again.
        this.username = undefined;
        this.authenticated = false;
        this.loginFailures = (this.loginFailures ?? 0) + 1;
        // The address's failures across connections (ban_max_login_fails), then this connection's (max_login_fails).
        if (this.ip && admissionOf(this)?.loginFailed(this.ip)) {
          return this.close(421, 'Too many failed logins from your address; closing.');
        }
        const maxFails = gatewayOf(this)?.config.limits.maxLoginFails ?? 3;
        if (this.loginFailures >= maxFails) return this.close(530, 'Login incorrect; too many failures, closing.');
        return this.reply(530, 'Login incorrect.');
      }
      return this.reply(230, 'Login successful.');
    },
    syntax: '{{cmd}} <password>',
    description: 'Authentication password',
  });
}
