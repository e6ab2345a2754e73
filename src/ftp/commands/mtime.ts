// MDTM (read, and vsftpd's set form `MDTM YYYYMMDDHHMMSS path`, which ncftp sends) and MFMT (FileZilla's
// "preserve timestamps", rclone's SetModTime). A set time is kept as object metadata (mtime.ts).
import { withFs } from './command-context';
import { badName } from '../../filesystem/errors';
import { timeVal } from '../../filesystem/format';
import { modifiedTime, parseTimeVal } from '../../filesystem/mtime';

/** `time path`: a 14-digit time (optionally with a fraction), one space, then the path. */
function timeAndPath(arg: string): { ms: number; path: string } | undefined {
  const m = /^(\d{14}(?:\.\d+)?) (.+)$/.exec(arg);
  if (!m) return undefined;
  const ms = parseTimeVal(m[1]);
  if (ms === undefined) throw badName(`${m[1]}: not a valid time (YYYYMMDDHHMMSS, UTC).`);
  return { ms, path: m[2] };
}

export const mdtmHandler = withFs('MDTM', async (fs, c, args) => {
  const arg = args.command.arg ?? '';
  // As vsftpd: 14 digits and a space start the set form (a file named like that can still be read with a path).
  const set = timeAndPath(arg);
  if (set) {
    await fs.setModifiedTime(set.path, set.ms, 'MDTM');
    await c.reply(213, 'File modification time set.');
    return;
  }
  const info = await fs.fileInfo(arg, 'MDTM');
  await c.reply(213, timeVal(modifiedTime(info)));
});

export const mfmtHandler = withFs('MFMT', async (fs, c, args) => {
  const set = timeAndPath(args.command.arg ?? '');
  if (!set) return void (await c.reply(501, 'Usage: MFMT YYYYMMDDHHMMSS <path> (UTC).'));
  const path = await fs.setModifiedTime(set.path, set.ms, 'MFMT');
  await c.reply(213, `Modify=${timeVal(set.ms)}; ${path}`);
});
