// The storage layer's entry: one ObjectStore per account, chosen by the account's configuration.
import type { AccountConfig } from '../config/types';
import type { ObjectStore } from './object-store';
import { CosStore } from './cos/cos-store';
import { S3Store } from './s3/s3-store';
import type { StoreOptions } from './store-options';

export type { StoreOptions } from './store-options';
export * from './object-store';
export { compareUtf8, firstEntries } from './listing';
export { retryPolicy } from './retry';

export function createStore(account: AccountConfig, opts: StoreOptions): ObjectStore {
  return account.storage === 's3' ? new S3Store(account, opts) : new CosStore(account, opts);
}
