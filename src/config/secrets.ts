// Secrets kept out of the configuration file: cos_secretid, cos_secretkey and ftp_login_user_password may name an
// environment variable or a file instead of holding the value.
//
// Syntax (the whole value, nothing around it):
//   ${env:NAME}   the value of environment variable NAME
//   ${file:PATH}  the content of file PATH (relative to the configuration file's folder), trailing newlines removed
//   $${...}       a literal value starting with "${" (the first "$" is dropped), for the odd password that does
// A COS SecretId/SecretKey is letters and digits only, and a bcrypt/argon2 hash starts with "$2" or "$argon2", so
// none of them can look like a reference.
import fs from 'node:fs';
import path from 'node:path';

export const SECRET_KEYS = ['cos_secretid', 'cos_secretkey', 'ftp_login_user_password'] as const;

/** Where a secret's value came from, for --check-config (never the value itself). */
export type SecretOrigin = { kind: 'inline' } | { kind: 'env'; name: string } | { kind: 'file'; path: string };

export type ResolvedSecret = { ok: true; value: string; origin: SecretOrigin } | { ok: false; reason: string };

const REFERENCE = /^\$\{(env|file):(.*)\}$/s;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The secret's value. `text` is the value as written in the file; `baseDir` resolves relative file paths;
 * `env` is the environment (process.env). A failure's reason names what to fix (without section and key).
 */
export function resolveSecret(text: string, baseDir: string, env: NodeJS.ProcessEnv = process.env): ResolvedSecret {
  if (text.startsWith('$${')) return { ok: true, value: text.slice(1), origin: { kind: 'inline' } };
  const ref = REFERENCE.exec(text.trim());
  if (!ref) return { ok: true, value: text, origin: { kind: 'inline' } };
  const [, kind, target] = ref;
  if (kind === 'env') {
    const name = target.trim();
    if (!ENV_NAME.test(name)) return { ok: false, reason: `\${env:${name}}: not a valid environment variable name` };
    const value = env[name];
    if (value === undefined) return { ok: false, reason: `environment variable ${name} is not set` };
    if (value === '') return { ok: false, reason: `environment variable ${name} is empty` };
    return { ok: true, value, origin: { kind: 'env', name } };
  }
  const file = path.resolve(baseDir, target.trim());
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a folder' : String(err);
    return { ok: false, reason: `cannot read ${file}: ${why}` };
  }
  // `echo secret > file` adds a newline that is not part of the secret.
  const value = content.replace(/[\r\n]+$/, '');
  if (value === '') return { ok: false, reason: `${file} is empty` };
  return { ok: true, value, origin: { kind: 'file', path: file } };
}

/** `(from environment variable X)`, `(from file /p)`, or '' for a value written in the configuration file. */
export function describeOrigin(origin: SecretOrigin): string {
  if (origin.kind === 'env') return ` (from environment variable ${origin.name})`;
  if (origin.kind === 'file') return ` (from file ${origin.path})`;
  return ' (in the configuration file)';
}
