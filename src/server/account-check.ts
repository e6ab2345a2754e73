// A check of every account against COS right after start: wrong keys, a missing bucket or an unreachable endpoint
// would otherwise show up only as errors in FTP users' clients. It warns in the log (the server keeps running: COS
// may be down for a moment, and the other accounts work).
import type { Logger } from 'pino';
import { StoreError, describeError } from '../store/object-store';
import type { AccountContext } from './context';

/** How long one account's check may take before it is reported as unreachable. */
const CHECK_TIMEOUT_MS = 15_000;

/** What an operator should look at for a failed check. */
function adviceFor(err: StoreError | undefined): string {
  switch (err?.storeCode) {
    case 'NoSuchBucket':
      return 'the bucket does not exist: check cos_bucket and cos_region / cos_endpoint';
    case 'SignatureDoesNotMatch':
      return 'wrong cos_secretkey';
    case 'InvalidAccessKeyId':
      return 'unknown cos_secretid';
    case 'AccessDenied':
      return 'these keys may not list the bucket: check their permissions';
    default:
      return err?.status === undefined
        ? 'COS cannot be reached: check cos_region / cos_endpoint and the network'
        : 'COS refused the request';
  }
}

/** Lists one key of each account's bucket and prefix (one try); logs a warning for each account that fails. */
export async function checkAccounts(accounts: AccountContext[], logger: Logger): Promise<void> {
  const log = logger.child({ component: 'account-check' });
  await Promise.all(
    accounts.map(async ({ account, store }) => {
      const where = { user: account.userName, bucket: account.bucket, section: account.section };
      try {
        await store.listPage({ prefix: account.prefix, maxKeys: 1, tries: 1, signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
        log.debug(where, 'account check: bucket reachable');
      } catch (e) {
        const err = e instanceof StoreError ? e : undefined;
        log.warn(
          { ...where, status: err?.status, code: err?.storeCode },
          `account check: [${account.section}] ${adviceFor(err)} (${describeError(e)}); ` +
            `FTP user "${account.userName}" will get errors until this is fixed`,
        );
      }
    }),
  );
}
