// The storage layer's entry: one ObjectStore per account, chosen by the account's configuration.
import type { AccountConfig } from '../config/types';
import type { ObjectStore } from './object-store';
import { CosStore, type StoreOptions } from './cos/cos-store';

export type { StoreOptions } from './cos/cos-store';
export * from './object-store';
export { compareUtf8 } from './listing';
export { retryPolicy } from './retry';

export function createStore(account: AccountConfig, opts: StoreOptions): ObjectStore {
  return new CosStore(account, opts);
}
