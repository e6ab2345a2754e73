// SITE and its subcommands, as vsftpd offers them: CHMOD (accepted, nothing changes: object storage has no modes),
// UMASK (accepted likewise) and HELP. ftp-srv's own SITE answered `500 Syntax error` to CHMOD (it caught the file
// system's refusal) and a bare `502` without a reason to anything else.
import { type CommandArgs, withFs } from './command-context';

const SUBCOMMANDS = 'CHMOD UMASK HELP';

export const siteHandler = withFs('SITE', async (fs, c, args: CommandArgs) => {
  const arg = (args.command.arg ?? '').trim();
  if (!arg) return void (await c.reply(501, `SITE needs a subcommand: ${SUBCOMMANDS}.`));
  const [word, ...rest] = arg.split(' ');
  const sub = word.toUpperCase();
  if (sub === 'CHMOD') {
    const mode = rest[0] ?? '';
    const target = rest.slice(1).join(' ');
    if (!/^[0-7]{1,4}$/.test(mode) || !target) {
      return void (await c.reply(501, 'Usage: SITE CHMOD <octal mode> <path>.'));
    }
    const path = await fs.chmodPath(target);
    return void (await c.reply(200, `SITE CHMOD command ok (object storage keeps no modes; ${path} is unchanged).`));
  }
  if (sub === 'UMASK') {
    if (rest.length === 0) return void (await c.reply(200, 'Your current UMASK is 022.'));
    if (!/^[0-7]{1,4}$/.test(rest[0])) return void (await c.reply(501, 'Usage: SITE UMASK <octal mask>.'));
    return void (await c.reply(200, `UMASK set to ${rest[0].padStart(4, '0')} (object storage keeps no modes).`));
  }
  if (sub === 'HELP') return void (await c.reply(214, `SITE subcommands: ${SUBCOMMANDS}.`));
  await c.reply(502, `SITE ${word} is not supported; SITE subcommands: ${SUBCOMMANDS}.`);
});
