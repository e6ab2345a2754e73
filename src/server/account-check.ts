// A check of every account against COS right after start: wrong keys, a missing bucket or an unreachable endpoint
// would otherwise show up only as errors in FTP users' clients. It warns in the log (the server keeps running: COS
// may be down for a moment, and the other accounts work).
import type { Logger } from 'pino';
import type { AccountConfig } from '../config/types';
import { StoreError, describeError } from '../store/object-store';
import type { AccountContext } from '../ftp/context';

/** How long one account's check may take before it is reported as unreachable. */
const CHECK_TIMEOUT_MS = 15_000;

/** What an operator should look at for a failed check, naming the account's own keys. */
function adviceFor(account: AccountConfig, err: StoreError | undefined): string {
  const s3 = account.storage === 's3';
  const where = s3 ? 's3_endpoint / s3_region' : 'cos_region / cos_endpoint';
  switch (err?.storeCode) {
    case 'NoSuchBucket':
      return `the bucket does not exist: check ${s3 ? 's3_bucket' : 'cos_bucket'} and ${where}`;
    case 'SignatureDoesNotMatch':
      return `wrong ${s3 ? 's3_secret_access_key' : 'cos_secretkey'}`;
    case 'InvalidAccessKeyId':
      return `unknown ${s3 ? 's3_access_key_id' : 'cos_secretid'}`;
    case 'AccessDenied':
      return 'these keys may not list the bucket: check their permissions';
    default:
      return err?.status === undefined
        ? `${s3 ? 'the S3 store' : 'COS'} cannot be reached: check ${where} and the network`
        : `${s3 ? 'the S3 store' : 'COS'} refused the request`;
  }
}

/** A failed check: what to fix, and the COS answer behind it. */
export interface AccountProblem {
  message: string;
  status?: number;
  code?: string;
}

/** Lists one key of the account's bucket and prefix (one try); undefined when that worked. */
export async function checkAccount({ account, store }: AccountContext): Promise<AccountProblem | undefined> {
  try {
    await store.listPage({ prefix: account.prefix, maxKeys: 1, tries: 1, signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    return undefined;
  } catch (e) {
    const err = e instanceof StoreError ? e : undefined;
    return {
      message:
        `account check: [${account.section}] ${adviceFor(account, err)} (${describeError(e)}); ` +
        `FTP user "${account.userName}" will get errors until this is fixed`,
      status: err?.status,
      code: err?.storeCode,
    };
  }
}

/** Checks every account; logs a warning for each that fails; reports each result to `onResult` (readiness). */
export async function checkAccounts(
  accounts: AccountContext[],
  logger: Logger,
  onResult?: (section: string, problem: AccountProblem | undefined) => void,
): Promise<void> {
  const log = logger.child({ component: 'account-check' });
  await Promise.all(
    accounts.map(async (context) => {
      const { account } = context;
      const where = { user: account.userName, bucket: account.bucket, section: account.section };
      const problem = await checkAccount(context);
      onResult?.(account.section, problem);
      if (problem) log.warn({ ...where, status: problem.status, code: problem.code }, problem.message);
      else log.debug(where, 'account check: bucket reachable');
    }),
  );
}
