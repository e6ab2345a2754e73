// Owner: filesystem layer. Checks USER/PASS against the accounts and hands ftp-srv a CosFileSystem.
import type { FtpConnection, FileSystem } from 'ftp-srv';
import type { GatewayContext } from './context';

export type LoginListener = (
  data: { connection: FtpConnection; username: string; password: string },
  resolve: (config: { fs?: FileSystem; root?: string; cwd?: string }) => void,
  reject: (err?: Error) => void,
) => void;

export function createLoginHandler(_context: GatewayContext): LoginListener {
  return (_data, _resolve, reject) => reject(new Error('not implemented'));
}
