// A check of every account against COS right after start: wrong keys, a missing bucket or an unreachable endpoint
// would otherwise show up only as errors in FTP users' clients. It warns in the log (the server keeps running: COS
// may be down for a moment, and the other accounts work).
import type { Logger } from 'pino';
import type { AccountContext } from './context';

/** How long one account's check may take before it is reported as unreachable. */
const CHECK_TIMEOUT_MS = 15_000;

interface CosFailure {
  statusCode?: number;
  code?: string;
  message?: string;
}

/** What an operator should look at for a failed check. */
function adviceFor(err: CosFailure): string {
  switch (err.code) {
    case 'NoSuchBucket':
      return 'the bucket does not exist: check cos_bucket and cos_region / cos_endpoint';
    case 'SignatureDoesNotMatch':
      return 'wrong cos_secretkey';
    case 'InvalidAccessKeyId':
      return 'unknown cos_secretid';
    case 'AccessDenied':
      return 'these keys may not list the bucket: check their permissions';
    default:
      return err.statusCode === undefined
        ? 'COS cannot be reached: check cos_region / cos_endpoint and the network'
        : 'COS refused the request';
  }
}

/** Lists one key of each account's bucket and prefix; logs a warning for each account that fails. */
export async function checkAccounts(accounts: AccountContext[], logger: Logger): Promise<void> {
  const log = logger.child({ component: 'account-check' });
  await Promise.all(
    accounts.map(async ({ account, cos }) => {
      const where = { user: account.userName, bucket: account.bucket, section: account.section };
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject({ code: 'timeout', message: 'no answer' }), CHECK_TIMEOUT_MS);
          timer.unref();
          cos.getBucket(
            { Bucket: account.bucket, Region: account.region || 'ap-guangzhou', Prefix: account.prefix, MaxKeys: 1 },
            (err) => {
              clearTimeout(timer);
              if (err) reject(err);
              else resolve();
            },
          );
        });
        log.debug(where, 'account check: bucket reachable');
      } catch (e) {
        const err = (e ?? {}) as CosFailure;
        log.warn(
          { ...where, status: err.statusCode, code: err.code },
          `account check: [${account.section}] ${adviceFor(err)} (${[err.statusCode, err.code, err.message].filter(Boolean).join(' ')}); ` +
            `FTP user "${account.userName}" will get errors until this is fixed`,
        );
      }
    }),
  );
}
