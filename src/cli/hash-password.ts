// --hash-password: reads a password (from a terminal without echo, asked twice; or the first line of stdin) and
// prints the hash to put in ftp_login_user_password.
import { hashPassword } from '../util/password-hash';

export type HashScheme = 'argon2id' | 'bcrypt';

/** Reads one line from a terminal in raw mode, echoing nothing; rejects on Ctrl+C / Ctrl+D. */
function readHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  // Echo off before the prompt shows, so that nothing typed after it is echoed.
  input.setRawMode(true);
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (error?: Error): void => {
      input.removeListener('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') text = [...text].slice(0, -1).join('');
        else text += ch;
      }
    };
    input.resume();
    input.on('data', onData);
  });
}

/** The first line of stdin (the whole input without its line ending). */
async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0];
}

/** Reads the password and returns its hash; the error message says what went wrong. */
export async function hashPasswordFromInput(scheme: HashScheme): Promise<string> {
  let password: string;
  if (process.stdin.isTTY) {
    password = await readHidden('Password: ');
    if ((await readHidden('Again: ')) !== password) throw new Error('the two passwords differ');
  } else {
    password = await readStdinLine();
  }
  if (password === '') throw new Error('empty password');
  return hashPassword(password, scheme);
}
