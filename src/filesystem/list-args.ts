// LIST/NLST arguments: leading `-la`-style words are `ls` options, not names (clients send `LIST -la`, `LIST -a dir`).

export interface ListArgs {
  /** Option letters, e.g. `la`. Accepted and ignored: every entry is always shown in long form. */
  options: string;
  /** The path, or null for the cwd. */
  path: string | null;
}

export function splitListArgs(arg: string | null): ListArgs {
  if (!arg) return { options: '', path: null };
  let rest = arg;
  let options = '';
  for (;;) {
    const m = /^-([A-Za-z0-9]+)(?:\s+|$)/.exec(rest);
    if (!m) break;
    options += m[1];
    rest = rest.slice(m[0].length);
  }
  return { options, path: rest === '' ? null : rest };
}
