// One FTP session's view of its account: FTP `/` is the bucket root, or the account's key prefix.
// Each method resolves and authorises its path, then makes the fewest COS requests that answer it; nothing is
// cached between commands (other sessions and tools change the bucket too).
import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { AccountConfig } from '../config/types';
import { type TransferServices, openDownload, openUpload } from '../transfer/index';
import type { ObjectInfo, ObjectStore } from '../store/object-store';
import { firstEntries } from '../store/listing';
import { ReplyError, badName, refused, storageError } from './errors';
import type { Entry } from './format';
import { type ListingSummary, listDirectory } from './listing';
import { type Access, can, refusalReason } from './permissions';
import { anyUnder, keepFolder, putMarker } from './folders';
import { type GlobArg, baseName, dirKey, fileKey, globOf, isWithin, namesDirectory, parentOf, resolvePath, typedDirPart } from './paths';
import { modifiedTime, withKeptTimes, withModifiedTime } from './mtime';
import { copyObject, renameDirectory, renameFile } from './rename';

/** What RNFR found, kept on the session until RNTO. */
export interface RenameSource {
  path: string;
  kind: 'file' | 'dir';
  /** The object, for a file. */
  object?: ObjectInfo;
}

/** What LIST/NLST/MLSD/STAT found for a path: a directory (streamed in pages) or a single file. */
export type ListingTarget = { kind: 'dir'; path: string } | { kind: 'file'; path: string; entry: Entry };

/** A stat-like answer for ftp-srv's generic callers (STOU's name check). */
export interface FileStat {
  name: string;
  size: number;
  mtime: Date;
  isDirectory(): boolean;
}

/** What one session's file system is built from; the server layer provides it at login. */
export interface FileSystemSession {
  account: AccountConfig;
  store: ObjectStore;
  transfers: TransferServices;
  log: Logger;
  /** max_list_file in force now (a configuration reload changes it for the next listing). */
  readonly maxListFile: number;
  /** listing_mtime in force now: listings HEAD each file for a time a client set (see mtime.ts). */
  readonly listingMtime: boolean;
}

/**
 * The file system ftp-srv's generic command handlers call (by name: chdir, get, mkdir, delete, write, read, rename,
 * chmod, currentDirectory, getUniqueName) and this port's own handlers use in full. It knows nothing of ftp-srv.
 */
export class CosFileSystem {
  readonly account: AccountConfig;
  readonly store: ObjectStore;
  readonly log: Logger;
  private readonly session: FileSystemSession;
  private cwdPath = '/';

  constructor(session: FileSystemSession) {
    this.session = session;
    this.account = session.account;
    this.store = session.store;
    this.log = session.log;
  }

  /** Entries a listing may show (max_list_file). */
  get maxListFile(): number {
    return this.session.maxListFile;
  }

  get user(): string {
    return this.account.userName;
  }

  /** The FTP cwd; never a key (see paths.ts). */
  currentDirectory(): string {
    return this.cwdPath;
  }

  /** The normalised FTP path that `arg` names (the cwd when absent). */
  resolve(arg: string | null | undefined): string {
    return resolvePath(this.cwdPath, arg ?? '');
  }

  /** Refuses (550) what the account's authority or delete_enable forbid; the caller logs it via refusal(). */
  require(access: Access, _command: string, _path: string): void {
    if (can(this.account, access)) return;
    throw refused(`Permission denied: ${refusalReason(this.account, access)}.`);
  }

  /** Logs any refusal (authority, missing file, bad name, storage failure) with user and path; returns its reply. */
  refusal(command: string, path: string | null | undefined, err: unknown): ReplyError {
    const e = err instanceof ReplyError ? err : storageError(err, command);
    this.log.warn({ command, path, code: e.code, reason: e.message }, 'refused'); // user: in the session logger
    return e;
  }

  private async isDirectory(path: string): Promise<boolean> {
    if (path === '/') return true;
    return anyUnder(this.store, dirKey(this.account.prefix, path));
  }

  // ---- navigation -------------------------------------------------------------------------------------------

  /** CWD: one GetBucket (max-keys 1), none for the root. */
  async chdir(arg = ''): Promise<string> {
    const path = this.resolve(arg);
    this.require('read', 'CWD', path);
    let exists: boolean;
    try {
      exists = await this.isDirectory(path);
    } catch (err) {
      throw storageError(err, 'CWD');
    }
    if (!exists) throw refused(`${path}: No such directory.`);
    this.cwdPath = path;
    return path;
  }

  // ---- single objects ---------------------------------------------------------------------------------------

  /** SIZE, MDTM: one HEAD. */
  async fileInfo(arg: string | null, command: string): Promise<ObjectInfo> {
    const path = this.resolve(arg);
    this.require('read', command, path);
    if (path === '/' || namesDirectory(arg ?? '')) throw refused(`${path}: Not a plain file.`);
    let info: ObjectInfo | undefined;
    try {
      info = await this.store.head(fileKey(this.account.prefix, path));
    } catch (err) {
      throw storageError(err, command);
    }
    if (!info) throw refused(`${path}: No such file.`);
    return info;
  }

  /** MLST: the root costs nothing; a file one HEAD; a directory one HEAD (unless named with `/`) + one GetBucket. */
  async entryOf(arg: string | null, command: string): Promise<{ path: string; entry: Entry }> {
    const path = this.resolve(arg);
    this.require('read', command, path);
    return { path, entry: await this.lookup(path, arg ?? '') };
  }

  /** ftp-srv's generic stat (STOU tests whether a name is free with it): any authority may ask. */
  async get(fileName: string | null): Promise<FileStat> {
    const path = this.resolve(fileName);
    const entry = await this.lookup(path, fileName ?? '');
    return {
      name: entry.name,
      size: entry.size,
      mtime: new Date(entry.mtime ?? Date.now()),
      isDirectory: () => entry.type === 'dir',
    };
  }

  private async lookup(path: string, arg: string): Promise<Entry> {
    if (path === '/') return { name: '/', type: 'dir', size: 0 };
    try {
      if (!namesDirectory(arg)) {
        const info = await this.store.head(fileKey(this.account.prefix, path));
        if (info) return { name: baseName(path), type: 'file', size: info.size, mtime: modifiedTime(info) };
      }
      if (await this.isDirectory(path)) return { name: baseName(path), type: 'dir', size: 0 };
    } catch (err) {
      throw storageError(err, 'STAT');
    }
    throw refused(`${path}: No such file or directory.`);
  }

  /** STOU's free name beside a taken one: `sub/f.txt` -> `sub/f.txt.1a2b3c4d` (in `sub`, not in the cwd). */
  getUniqueName(fileName?: string | null): string {
    const path = fileName ? this.resolve(fileName) : `${this.cwdPath === '/' ? '' : this.cwdPath}/file`;
    return `${path}.${randomBytes(4).toString('hex')}`;
  }

  // ---- listings ---------------------------------------------------------------------------------------------

  /**
   * LIST/NLST/MLSD/STAT: streams a directory page by page into `onPage`, or, when the path is a file, answers that
   * one entry. A directory costs one GetBucket per 1000 entries; a file or a missing path one more HEAD.
   * `onStart` runs once the target is known to exist, before the first entries (LIST sends 150 there).
   * `glob`: a wildcard in the last segment lists the matches. `typedNames` (NLST): every name follows the
   * argument's directory part as typed (see typedDirPart), else bare names (LIST, STAT). `times` (LIST, MLSD, STAT):
   * with listing_mtime on, each file's time comes from a HEAD (one per file; see mtime.ts).
   */
  async walk(
    arg: string | null,
    command: string,
    opts: { cap: number; filesToo: boolean; glob?: boolean; typedNames?: boolean; times?: boolean },
    onStart: (target: ListingTarget) => Promise<void>,
    onPage: (entries: Entry[]) => Promise<void>,
  ): Promise<ListingSummary & { target: ListingTarget }> {
    const path = this.resolve(arg);
    this.require('read', command, path);
    const prefix = dirKey(this.account.prefix, path);
    let started = false;
    let summary: ListingSummary;
    let callbackError: unknown;
    const target: ListingTarget = { kind: 'dir', path };
    const shown = opts.typedNames ? typedDirPart(arg ?? '', 'dir') : '';
    try {
      summary = await listDirectory(this.store, prefix, opts.cap, async (entries) => {
        try {
          if (!started) {
            started = true;
            await onStart(target);
          }
          const timed = await this.keptTimes(prefix, entries, opts.times);
          await onPage(shown ? timed.map((e) => ({ ...e, name: shown + e.name })) : timed);
        } catch (err) {
          callbackError = err;
          throw err;
        }
      });
    } catch (err) {
      // The caller's own failures (data connection lost, refusal) pass as they are.
      if (err === callbackError) throw err;
      if (started) throw storageError(err, `${command} interrupted`);
      throw storageError(err, command);
    }
    if (summary.found || path === '/') {
      if (!started) await onStart(target);
      return { ...summary, target };
    }
    // Nothing under the prefix: perhaps a file of that name.
    let info: ObjectInfo | undefined;
    if (opts.filesToo && !namesDirectory(arg ?? '')) {
      try {
        info = await this.store.head(fileKey(this.account.prefix, path));
      } catch (err) {
        throw storageError(err, command);
      }
    }
    if (!info) {
      // No such name: a wildcard in its last segment (tnftp's mget/mdelete send `NLST *.txt`) lists the matches.
      const glob = opts.glob && !namesDirectory(arg ?? '') ? globOf(arg ?? '') : undefined;
      if (glob) return this.walkGlob(path, glob, opts, command, summary.requests + 1, onStart, onPage);
      throw refused(`${path}: No such file or directory.`);
    }
    const name = (opts.typedNames ? typedDirPart(arg ?? '', 'file') : '') + baseName(path);
    const fileTarget: ListingTarget = { kind: 'file', path, entry: { name, type: 'file', size: info.size, mtime: modifiedTime(info) } };
    await onStart(fileTarget);
    await onPage([fileTarget.entry]);
    return { ...summary, requests: summary.requests + 1, count: 1, target: fileTarget };
  }

  /**
   * The entries of a directory whose names match a wildcard pattern, one GetBucket per 1000 names that start with
   * the pattern's literal part. `withDir`: names as the client typed them (`sub/a.txt`, NLST), so that tnftp's mget
   * fetches the right files; else bare names (LIST). No match is a 550, as for a missing path.
   */
  private async walkGlob(
    path: string,
    glob: GlobArg,
    opts: { cap: number; typedNames?: boolean; times?: boolean },
    command: string,
    requestsSoFar: number,
    onStart: (target: ListingTarget) => Promise<void>,
    onPage: (entries: Entry[]) => Promise<void>,
  ): Promise<ListingSummary & { target: ListingTarget }> {
    const dir = this.resolve(glob.dirArg);
    const dirPrefix = dirKey(this.account.prefix, dir);
    const target: ListingTarget = { kind: 'dir', path: dir };
    let started = false;
    let summary: ListingSummary;
    try {
      summary = await listDirectory(
        this.store,
        dirPrefix,
        opts.cap,
        async (entries) => {
          if (!started) {
            started = true;
            await onStart(target);
          }
          const timed = await this.keptTimes(dirPrefix, entries, opts.times);
          await onPage(opts.typedNames ? timed.map((e) => ({ ...e, name: glob.dirArg + e.name })) : timed);
        },
        glob,
      );
    } catch (err) {
      if (err instanceof ReplyError || started) throw err;
      throw storageError(err, command);
    }
    if (!summary.found) throw refused(`${path}: No such file or directory.`);
    return { ...summary, requests: summary.requests + requestsSoFar, target };
  }

  /**
   * MFMT, `MDTM time path`: keeps `ms` as the file's modification time (see mtime.ts): 1 HEAD + 1 PUT Copy onto
   * itself with the metadata replaced (up to 5 GB; beyond, 1 Initiate + 1 Upload Part - Copy per part + 1 Complete).
   * The copy only goes ahead while the object is the one the HEAD saw.
   */
  async setModifiedTime(arg: string | null, ms: number, command: string): Promise<string> {
    const path = this.resolve(arg);
    this.require('write', command, path);
    if (path === '/' || namesDirectory(arg ?? '')) throw refused(`${path}: Not a plain file.`);
    const key = fileKey(this.account.prefix, path);
    try {
      const info = await this.store.head(key);
      if (!info) throw refused(`${path}: No such file.`);
      await copyObject(this.store, key, key, info.size, this.log, {
        metadata: withModifiedTime(info.metadata, ms),
        replace: true,
        sourceIfMatch: info.etag,
      });
    } catch (err) {
      throw storageError(err, command);
    }
    return path;
  }

  /** The entries with the times clients set, when listing_mtime is on and the listing shows times. */
  private keptTimes(dirPrefix: string, entries: Entry[], times: boolean | undefined): Promise<Entry[]> {
    if (!times || !this.session.listingMtime) return Promise.resolve(entries);
    return withKeptTimes(this.store, dirPrefix, entries);
  }

  // ---- directories ------------------------------------------------------------------------------------------

  /**
   * MKD: one GetBucket (already there?), one more for the parent unless it is the root (as vsftpd, `MKD a/b` without
   * `a` is a 550, so Net::FTP's `mkdir($dir, 1)` makes each level), then one PUT of the `dir/` marker.
   */
  async mkdir(arg: string): Promise<string> {
    const path = this.resolve(arg);
    this.require('write', 'MKD', path);
    if (path === '/') throw refused('/: Directory already exists.');
    const marker = dirKey(this.account.prefix, path);
    const parent = parentOf(path);
    try {
      const [exists, parentExists] = await Promise.all([anyUnder(this.store, marker), this.isDirectory(parent)]);
      if (exists) throw refused(`${path}: Directory already exists.`);
      if (!parentExists) throw refused(`${parent}: No such directory (create it first).`);
      await putMarker(this.store, marker);
    } catch (err) {
      throw storageError(err, 'MKD');
    }
    return path;
  }

  /**
   * RMD: one GetBucket (max-keys 2: the marker and anything else), keepFolder for the parent (one GetBucket unless it
   * is the root, one PUT when this was the last thing in a parent without a marker), one DELETE of the marker.
   */
  async removeDirectory(arg: string | null): Promise<string> {
    const path = this.resolve(arg);
    this.require('write', 'RMD', path);
    this.require('delete', 'RMD', path);
    if (path === '/') throw refused('/: The root directory cannot be removed.');
    const marker = dirKey(this.account.prefix, path);
    try {
      const page = await firstEntries(this.store, { prefix: marker }, 2);
      if (page.objects.length === 0 && page.prefixes.length === 0) throw refused(`${path}: No such directory.`);
      if (page.objects.some((o) => o.key !== marker)) throw refused(`${path}: Directory not empty.`);
      await keepFolder(this.store, this.account.prefix, parentOf(path), marker);
      await this.store.delete(marker);
    } catch (err) {
      throw storageError(err, 'RMD');
    }
    if (isWithin(this.cwdPath, path)) this.cwdPath = '/';
    return path;
  }

  // ---- files ------------------------------------------------------------------------------------------------

  /**
   * DELE: one HEAD (so a missing file is a 550), keepFolder for its folder (one GetBucket unless it is the root, one
   * PUT when this was the last key of a folder without a marker), one DELETE.
   */
  async deleteFile(arg: string | null): Promise<string> {
    const path = this.resolve(arg);
    this.require('write', 'DELE', path);
    this.require('delete', 'DELE', path);
    if (path === '/' || namesDirectory(arg ?? '')) throw refused(`${path}: Not a plain file (use RMD for directories).`);
    const key = fileKey(this.account.prefix, path);
    try {
      if (!(await this.store.head(key))) throw refused(`${path}: No such file.`);
      await keepFolder(this.store, this.account.prefix, parentOf(path), key);
      await this.store.delete(key);
    } catch (err) {
      throw storageError(err, 'DELE');
    }
    return path;
  }

  /** ftp-srv's generic delete: a file if one exists, else a directory. */
  async delete(arg: string): Promise<void> {
    try {
      await this.deleteFile(arg);
    } catch (err) {
      if (err instanceof ReplyError && /No such file/.test(err.message)) await this.removeDirectory(arg);
      else throw err;
    }
  }

  /** STOR/APPE/STOU: resolve and authorise, then the transfer layer's upload stream. */
  write(fileName: string | null, opts: { append?: boolean; start?: number } = {}): { stream: Writable; clientPath: string } {
    const command = opts.append ? 'APPE' : 'STOR';
    try {
      if (!fileName) throw badName('File name required.');
      const path = this.resolve(fileName);
      this.require('write', command, path);
      if (namesDirectory(fileName)) throw badName(`${path}: Not a valid file name.`);
      const key = fileKey(this.account.prefix, path);
      const stream = openUpload(this.target(key), opts);
      return { stream, clientPath: path };
    } catch (err) {
      throw this.refusal(command, fileName, err);
    }
  }

  /** RETR: resolve and authorise, then the transfer layer's download stream. */
  async read(fileName: string | null, opts: { start?: number } = {}): Promise<{ stream: Readable; clientPath: string }> {
    let path: string | undefined;
    let key: string;
    try {
      if (!fileName) throw badName('File name required.');
      path = this.resolve(fileName);
      this.require('read', 'RETR', path);
      if (namesDirectory(fileName)) throw refused(`${path}: Not a plain file.`);
      key = fileKey(this.account.prefix, path);
    } catch (err) {
      throw this.refusal('RETR', fileName, err);
    }
    const stream = await openDownload(this.target(key), opts);
    return { stream, clientPath: path };
  }

  private target(key: string): Parameters<typeof openUpload>[0] {
    return { services: this.session.transfers, store: this.store, key, user: this.account.userName, log: this.log };
  }

  // ---- rename -----------------------------------------------------------------------------------------------

  /** RNFR: one HEAD for a file; a directory one more GetBucket (max-keys 1). */
  async renameSource(arg: string | null): Promise<RenameSource> {
    const path = this.resolve(arg);
    this.require('write', 'RNFR', path);
    this.require('delete', 'RNFR', path);
    if (path === '/') throw refused('/: The root directory cannot be renamed.');
    try {
      if (!namesDirectory(arg ?? '')) {
        const object = await this.store.head(fileKey(this.account.prefix, path));
        if (object) return { path, kind: 'file', object };
      }
      if (await this.isDirectory(path)) return { path, kind: 'dir' };
    } catch (err) {
      throw storageError(err, 'RNFR');
    }
    throw refused(`${path}: No such file or directory.`);
  }

  /**
   * RNTO. A file: copy + delete (2 requests up to 5 GB). A directory: one GetBucket to check the target, one per
   * 1000 sources, one copy per object, one Delete Multiple per 1000. Either: keepFolder for the source's folder when
   * the target is in another one (one GetBucket unless it is the root, one PUT when the folder would vanish).
   */
  async renameTo(source: RenameSource, arg: string | null): Promise<string> {
    const path = this.resolve(arg);
    this.require('write', 'RNTO', path);
    // Replacing an existing target deletes it: the same right as DELE.
    this.require('delete', 'RNTO', path);
    if (path === '/') throw badName('/: Not a valid target name.');
    if (path === source.path) return path;
    const prefix = this.account.prefix;
    const sourceDir = parentOf(source.path);
    const keepSourceDir = async (leaving: string): Promise<void> => {
      if (parentOf(path) === sourceDir) return; // the target stays in the folder
      try {
        await keepFolder(this.store, prefix, sourceDir, leaving);
      } catch (err) {
        throw storageError(err, 'Rename failed, nothing changed');
      }
    };
    if (source.kind === 'file' && source.object) {
      if (namesDirectory(arg ?? '')) throw badName(`${path}: Not a valid file name.`);
      const targetKey = fileKey(prefix, path);
      await keepSourceDir(source.object.key);
      await renameFile(this.store, source.object, targetKey, this.log);
      return path;
    }
    if (isWithin(path, source.path)) throw refused(`${path}: A directory cannot be moved into itself.`);
    const targetPrefix = dirKey(prefix, path);
    try {
      const page = await firstEntries(this.store, { prefix: targetPrefix }, 2);
      if (page.objects.some((o) => o.key !== targetPrefix)) throw refused(`${path}: Target directory exists and is not empty.`);
    } catch (err) {
      throw storageError(err, 'RNTO');
    }
    await keepSourceDir(dirKey(prefix, source.path));
    const moved = await renameDirectory(this.store, dirKey(prefix, source.path), targetPrefix, this.log);
    this.log.info({ from: source.path, to: path, objects: moved }, 'directory renamed');
    if (isWithin(this.cwdPath, source.path)) this.cwdPath = path + this.cwdPath.slice(source.path.length);
    return path;
  }

  async rename(from: string, to: string): Promise<void> {
    await this.renameTo(await this.renameSource(from), to);
  }

  /**
   * SITE CHMOD: object storage keeps no modes, so nothing changes and only the path must exist (SFTPGo's
   * setstat_mode "ignore"): PHP's ftp_chmod, which WordPress calls after every upload, then succeeds. A file costs
   * 1 HEAD; a directory 1 HEAD + 1 GetBucket (1 GetBucket when named `dir/`).
   */
  async chmodPath(arg: string | null): Promise<string> {
    const path = this.resolve(arg);
    this.require('write', 'SITE CHMOD', path);
    await this.lookup(path, arg ?? '');
    return path;
  }

  async chmod(fileName: string): Promise<void> {
    await this.chmodPath(fileName);
  }
}
