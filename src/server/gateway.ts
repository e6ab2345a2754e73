// Hosts the FTP control and data channels (ftp-srv) over the configured accounts.
// Owner: foundation (lifecycle, limits, logging). Hooks owned by other layers are called from here.
import FtpSrv from 'ftp-srv';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/types';
import { createCosClient } from '../store/cos-client';
import { Semaphore } from '../util/semaphore';
import type { GatewayContext } from './context';
import { createLoginHandler } from './login';
import { installProtocolFixes } from './protocol-fixes';
import { installListingCommands } from '../filesystem/commands';
import { installTransferCommands } from '../transfer/commands';

export interface Gateway {
  context: GatewayContext;
  /** The control port actually bound (useful with listen_port 0 in tests). */
  port: number;
  /** Stop accepting, let transfers finish within graceMs, then close every session. */
  close(graceMs?: number): Promise<void>;
}

export async function startGateway(config: ServerConfig, logger: Logger): Promise<Gateway> {
  installProtocolFixes();
  installListingCommands();
  installTransferCommands();

  const context: GatewayContext = {
    config,
    logger,
    accounts: config.accounts.map((account) => ({ account, cos: createCosClient(account) })),
    uploadSlots: new Semaphore(config.transfer.uploadThreadNum),
    stats: { sessions: 0, transfers: 0 },
  };

  const { network } = config;
  const listeners = {
    SIGTERM: process.listeners('SIGTERM'),
    SIGINT: process.listeners('SIGINT'),
    SIGQUIT: process.listeners('SIGQUIT'),
  };
  const ftp = new FtpSrv({
    url: `ftp://${network.listenAddress}:${network.listenPort}`,
    pasv_min: network.passivePortMin,
    pasv_max: network.passivePortMax,
    // A function so that PASV announces the control connection's local address unless masquerading.
    pasv_url: network.masqueradeAddress as string,
    greeting: 'Welcome to COS FTP Service',
    anonymous: false,
    log: logger.child({ component: 'ftp-srv' }),
  });
  // ftp-srv installs handlers that exit the process at once; the daemon drains transfers itself.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) {
    for (const l of process.listeners(signal)) {
      if (!listeners[signal].includes(l)) process.removeListener(signal, l);
    }
  }

  ftp.on('login', createLoginHandler(context));
  await ftp.listen();
  const address = (ftp as unknown as { server: import('net').Server }).server.address();
  const port = typeof address === 'object' && address ? address.port : network.listenPort;

  return {
    context,
    port,
    async close() {
      await ftp.close();
    },
  };
}
