// Listing helpers every store shares: the key order stores list in, and paging through a listing.
import type { ListOptions, ListPage, ObjectStore } from './object-store';

/** Byte order of UTF-8, the order COS and S3 list keys in. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Pages from `opts.marker` to the end, one listPage request each, made only when the next page is asked for. */
export async function* listPages(store: Pick<ObjectStore, 'listPage'>, opts: ListOptions): AsyncGenerator<ListPage> {
  let marker = opts.marker;
  do {
    const page = await store.listPage({ ...opts, marker });
    yield page;
    marker = page.nextMarker;
  } while (marker !== undefined);
}
