// Which kind of stored FTP password a value is: plain text (as in the original), a bcrypt hash ($2a$/$2b$/$2y$)
// or an argon2 hash in PHC form ($argon2id$v=19$m=..,t=..,p=..$salt$hash). Checking them is password-hash.ts.
export type PasswordScheme = 'plain' | 'bcrypt' | 'argon2';

const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
/** PHC string; the parameters may come in any order (m,t,p or m,p,t depending on the tool that made it). */
const ARGON2 = /^\$argon2(?:id|i|d)\$v=\d+\$[mtp]=\d+(?:,[mtp]=\d+){2}\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/**
 * How a stored password is to be compared, or why it cannot be used: a value that starts like a hash but is not
 * a whole one (cut by the shell, or by a missing quote) is refused rather than taken as a plain password.
 */
export function passwordScheme(stored: string): { ok: true; value: PasswordScheme } | { ok: false; reason: string } {
  if (BCRYPT.test(stored)) {
    const cost = Number(BCRYPT.exec(stored)?.[1]);
    if (cost < 4 || cost > 31) return { ok: false, reason: `is a bcrypt hash with an impossible cost ${cost}` };
    return { ok: true, value: 'bcrypt' };
  }
  if (ARGON2.test(stored)) return { ok: true, value: 'argon2' };
  if (/^\$2[aby]\$/.test(stored)) {
    return { ok: false, reason: 'starts like a bcrypt hash but is not one ($2b$NN$ and 53 characters); was it cut?' };
  }
  if (/^\$argon2/.test(stored)) {
    return { ok: false, reason: 'starts like an argon2 hash but is not one ($argon2id$v=19$m=..,t=..,p=..$salt$hash); was it cut?' };
  }
  return { ok: true, value: 'plain' };
}
