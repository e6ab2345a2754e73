// The original's authority mapping (pyftpdlib permissions): R reads, W writes, and deleting (DELE, RMD, rename)
// needs W plus delete_enable.
import type { AccountConfig } from '../config/types';

export type Access = 'read' | 'write' | 'delete';

export function can(account: AccountConfig, access: Access): boolean {
  switch (access) {
    case 'read':
      return account.authority.includes('R');
    case 'write':
      return account.authority.includes('W');
    case 'delete':
      return account.authority.includes('W') && account.deleteEnable;
  }
}

/** Why `access` is refused, for the 550 text. */
export function refusalReason(account: AccountConfig, access: Access): string {
  if (access === 'delete' && account.authority.includes('W')) return 'deleting is disabled for this account';
  if (access === 'read') return 'this account may not read (authority W)';
  return 'this account may not write (authority R)';
}

/** RFC 3659 `perm` fact letters for an entry, from the account's rights. */
export function permFact(account: AccountConfig, type: 'file' | 'dir'): string {
  const read = can(account, 'read');
  const write = can(account, 'write');
  const del = can(account, 'delete');
  if (type === 'file') return `${read ? 'r' : ''}${write ? 'aw' : ''}${del ? 'df' : ''}`;
  return `${write ? 'c' : ''}${del ? 'dfp' : ''}${read ? 'el' : ''}${write ? 'm' : ''}`;
}

/** The `rwx` triple shown by LIST for an entry. */
export function modeString(account: AccountConfig, type: 'file' | 'dir'): string {
  const read = can(account, 'read');
  const write = can(account, 'write');
  const triple = `${read ? 'r' : '-'}${write ? 'w' : '-'}${type === 'dir' && read ? 'x' : '-'}`;
  return `${type === 'dir' ? 'd' : '-'}${triple}${triple}${triple}`;
}
