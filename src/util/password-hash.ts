// Making and checking FTP password hashes (bcrypt, argon2). Both run on libuv's thread pool in Rust modules whose
// prebuilt binaries come from npm as per-platform optional packages (@node-rs/argon2, @node-rs/bcrypt): no install
// script, no compiler, nothing downloaded from elsewhere. (The `argon2` package's own prebuilt binary crashed on
// this Debian and it then compiles from source at install; `bcrypt` alone does not do argon2.)
import { createHash, timingSafeEqual } from 'node:crypto';
import * as argon2 from '@node-rs/argon2';
import * as bcrypt from '@node-rs/bcrypt';
import type { PasswordScheme } from './password-scheme';
import { Semaphore } from './semaphore';

/** argon2id parameters of --hash-password: OWASP's first choice (19 MiB, 2 passes, 1 lane), tens of ms. */
const ARGON2_OPTIONS: argon2.Options = { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
/** OWASP's minimum for bcrypt; each step doubles the time (10: about 50-100 ms here). */
const BCRYPT_COST = 10;

export async function hashPassword(plain: string, scheme: 'argon2id' | 'bcrypt' = 'argon2id'): Promise<string> {
  // The library labels its hashes $2y$ (PHP's name); $2b$ is the same algorithm and output under OpenBSD's label,
  // the one most tools print.
  if (scheme === 'bcrypt') return (await bcrypt.hash(plain, BCRYPT_COST)).replace(/^\$2y\$/, '$2b$');
  return argon2.hash(plain, ARGON2_OPTIONS);
}

/**
 * Hash checks in flight at once: each may hold tens of MiB and a thread-pool thread (shared with DNS and file
 * I/O), so a flood of PASS commands waits here instead of starving the rest of the server.
 */
const verifySlots = new Semaphore(2);

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Hash checks run since start: what a login costs, comparable without timing it (tests). */
export const hashChecks = { count: 0 };

/** Whether `supplied` matches `stored`; constant time for plain passwords, the library's own check for hashes. */
export async function verifyPassword(stored: string, scheme: PasswordScheme, supplied: string): Promise<boolean> {
  if (scheme === 'plain') return timingSafeEqual(digest(stored), digest(supplied));
  hashChecks.count++;
  const release = await verifySlots.acquire();
  try {
    return scheme === 'bcrypt' ? await bcrypt.verify(supplied, stored) : await argon2.verify(stored, supplied);
  } catch {
    return false;
  } finally {
    release();
  }
}
