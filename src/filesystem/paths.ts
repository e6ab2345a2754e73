// FTP paths -> object keys. Every path a client names is normalised here, server-side, before any key is built:
// `/` is the only separator, empty and `.` segments vanish, `..` pops a segment and is clamped at the user's root (as
// vsftpd's chroot does). A key is only ever `prefix + normalised path`, so nothing reaches outside bucket+prefix.
// `\` is an ordinary character of a name, as in vsftpd and the original (and a legal key character), in every
// command alike; only a key may not start with it (COS refuses such keys), so that name is refused at the root of an
// account without cos_prefix (553).
import { badName } from './errors';

/** COS refuses object keys longer than 850 bytes of UTF-8. */
export const MAX_KEY_BYTES = 850;

/**
 * NUL, CR, LF; the control characters 0x18-0x1B, which COS does not allow in keys (doc 13324); and lone surrogates,
 * which stand for bytes that were not valid UTF-8 (see ftp/control-lines.ts).
 */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\0\r\n\x18-\x1b]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The segments of a normalised absolute FTP path (`/` -> []). */
export function segmentsOf(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/** Refuses (553) names with NUL, CR, LF, 0x18-0x1B or invalid UTF-8. */
export function checkName(arg: string): void {
  const bad = FORBIDDEN.exec(arg);
  if (!bad) return;
  const c = bad[0].charCodeAt(0);
  if (c === 0) throw badName('File name not allowed: it contains a NUL character.');
  if (c === 13 || c === 10) throw badName('File name not allowed: it contains a line break.');
  if (c >= 0x18 && c <= 0x1b) throw badName('File name not allowed: COS does not allow the control characters 0x18-0x1B.');
  throw badName('File name not allowed: it is not valid UTF-8.');
}

/**
 * The absolute, normalised FTP path (`/` or `/a/b`) that `arg` names from `cwd`; `..` above the root stays at
 * the root. Refuses forbidden characters (553).
 */
export function resolvePath(cwd: string, arg: string): string {
  checkName(arg);
  const out = arg.startsWith('/') ? [] : segmentsOf(cwd);
  for (const segment of arg.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`;
}

/** True when the argument names a directory explicitly (`a/`, `a/.`, `..`): a file of that name is not meant. */
export function namesDirectory(arg: string): boolean {
  return /(^|\/)\.{0,2}$/.test(arg) || arg.endsWith('/');
}

/** The last segment of a normalised path ('' for the root). */
export function baseName(path: string): string {
  const segments = segmentsOf(path);
  return segments.length ? segments[segments.length - 1] : '';
}

/** The parent of a normalised path (the root is its own parent). */
export function parentOf(path: string): string {
  const segments = segmentsOf(path);
  segments.pop();
  return `/${segments.join('/')}`;
}

/** True when `path` is `dir` itself or lies under it. */
export function isWithin(path: string, dir: string): boolean {
  return path === dir || dir === '/' || path.startsWith(`${dir}/`);
}

function checkKey(key: string): string {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw badName(`File name not allowed: the object key would exceed ${MAX_KEY_BYTES} bytes.`);
  }
  if (key.startsWith('\\')) throw badName('File name not allowed: COS does not allow an object key to start with \\.');
  return key;
}

/** The object key of a file path (never the root). */
export function fileKey(prefix: string, path: string): string {
  if (path === '/') throw badName('File name not allowed: the root directory is not a file.');
  return checkKey(prefix + path.slice(1));
}

/** The key prefix of a directory path: the account prefix for `/`, else `prefix + a/b/` (also its marker key). */
export function dirKey(prefix: string, path: string): string {
  if (path === '/') return prefix;
  return checkKey(`${prefix}${path.slice(1)}/`);
}

/**
 * What NLST puts before each name it answers for `arg`, as vsftpd does: the argument as the client typed it, so
 * that a client acting on the names (tnftp's and Windows ftp's mget/mdelete RETR/DELE each one) reaches the listed
 * object and not a same-named one in the working directory. A directory `sub` -> `sub/`; a file `sub/f.txt` -> `sub/`
 * (its own name follows); no argument or `.` -> nothing.
 */
export function typedDirPart(arg: string, kind: 'dir' | 'file'): string {
  if (kind === 'file') return arg.slice(0, arg.lastIndexOf('/') + 1);
  if (arg === '' || arg === '.') return '';
  return arg.endsWith('/') ? arg : `${arg}/`;
}

/** A wildcard pattern in the last segment of a listing argument (`*.txt`, `sub/a?c`), as tnftp's mget sends it. */
export interface GlobArg {
  /** The argument's directory part as typed, with its trailing `/` (`''`, `sub/`, `/`): listed, and shown by NLST. */
  dirArg: string;
  /** The literal start of the pattern (narrows the GetBucket prefix). */
  literal: string;
  match: NameMatcher;
}

export interface NameMatcher {
  test(name: string): boolean;
}

/**
 * `*` (any run of characters) and `?` (one character) matched in O(name x pattern) at worst. A RegExp built from
 * the pattern backtracks exponentially on patterns like `*a*a*a*a*b`, which would stall every session's event loop.
 */
export function wildcardMatcher(pattern: string): NameMatcher {
  const p = Array.from(pattern);
  return {
    test(name: string): boolean {
      const s = Array.from(name);
      let i = 0;
      let j = 0;
      let star = -1;
      let resume = 0;
      while (i < s.length) {
        if (j < p.length && (p[j] === '?' || (p[j] !== '*' && p[j] === s[i]))) {
          i++;
          j++;
        } else if (j < p.length && p[j] === '*') {
          star = j++;
          resume = i;
        } else if (star >= 0) {
          j = star + 1;
          i = ++resume;
        } else {
          return false;
        }
      }
      while (j < p.length && p[j] === '*') j++;
      return j === p.length;
    },
  };
}

/** The wildcard pattern of `arg` (`*` and `?`, last segment only), or undefined when it has none. */
export function globOf(arg: string): GlobArg | undefined {
  const cut = arg.lastIndexOf('/');
  const dirArg = arg.slice(0, cut + 1);
  const pattern = arg.slice(cut + 1);
  const first = pattern.search(/[*?]/);
  if (first < 0 || /[*?]/.test(dirArg)) return undefined;
  return { dirArg, literal: pattern.slice(0, first), match: wildcardMatcher(pattern) };
}
