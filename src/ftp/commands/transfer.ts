// STOR/APPE/STOU/RETR/ABOR handlers replacing ftp-srv's (see docs/ftp-srv-notes.md): the right
// reply codes (426 aborted, 451 storage failure, 552 too large, 554 bad offset), a data connection that closes early
// counts as an abort, the control connection stays readable during a transfer (ABOR, QUIT), its idle timeout is
// suspended meanwhile, and the REST offset is cleared on every path.
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { aborted } from '../../transfer/errors';
import { ReplyError, replyOf } from '../../util/reply-error';
import { giveBack } from '../../util/slab-pool';
import { CrlfToLf, LfToCrlf } from '../../transfer/line-endings';
import {
  ActiveTransfer,
  type CommandArgs,
  type TransferConnection,
  activeTransfer,
} from '../../transfer/session';
import { type Direction, TransferRecord, targetOf } from '../../transfer/transfer-record';
import { COMMITTING, CosUploadStream } from '../../transfer/upload-stream';
import { CosDownloadStream } from '../../transfer/download-stream';
import { runningDataCommand } from '../control-lines';
import { readInto, releaseChunk } from '../pooled-reads';
import { gatewayOf, once, setCommand } from '../registry';

type StoreMode = 'STOR' | 'APPE' | 'STOU';

export function installTransferCommands(): void {
  once('transfer-commands', () => {
    const command = (directive: string, syntax: string, description: string, run: (c: TransferConnection, args: CommandArgs) => Promise<unknown>): void =>
      setCommand<TransferConnection>(directive, {
        handler(args) {
          return run(this, args);
        },
        syntax,
        description,
      });
    command('STOR', '{{cmd}} <path>', 'Store data as a file at the server site', (c, args) => store(c, args, 'STOR'));
    command('APPE', '{{cmd}} <path>', 'Append to a file', (c, args) => store(c, args, 'APPE'));
    command('STOU', '{{cmd}}', 'Store file uniquely', (c, args) => store(c, args, 'STOU'));
    command('RETR', '{{cmd}} <path>', 'Retrieve a copy of the file', (c, args) => retrieve(c, args));
    command('ABOR', '{{cmd}}', 'Abort an active file transfer', (c) => abort(c));
  });
}

/** Takes the REST offset and clears it at once, so that no path (failures included) leaves it for the next command. */
function takeRestOffset(connection: TransferConnection): number {
  const offset = connection.restByteCount ?? 0;
  connection.restByteCount = 0;
  return offset;
}

async function waitForData(connection: TransferConnection, args: CommandArgs): Promise<Socket | undefined> {
  try {
    return await connection.connector.waitForConnection();
  } catch (err) {
    args.log.warn({ err: replyOf(err).message }, 'no data connection');
    await connection.reply(425, 'No data connection established; use PASV/EPSV or PORT/EPRT first.');
    return undefined;
  }
}

function unwrap<T>(response: T | { stream: T; clientPath?: string }, fallback: string): { stream: T; clientPath: string } {
  if (response && typeof response === 'object' && 'stream' in response && (response as { stream?: T }).stream) {
    const r = response as { stream: T; clientPath?: string };
    return { stream: r.stream, clientPath: r.clientPath ?? fallback };
  }
  return { stream: response as T, clientPath: fallback };
}

/** Resolves once a stream has closed (immediately when it already has). */
function closed(stream: Readable | Writable): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise((resolve) => stream.once('close', () => resolve()));
}

async function uniqueName(connection: TransferConnection, name: string | null): Promise<string | null> {
  const fs = connection.fs;
  if (!fs?.get || !fs.getUniqueName) return name;
  try {
    await fs.get(name);
  } catch {
    return name; // free: use it as it is
  }
  try {
    return await fs.getUniqueName(name);
  } catch {
    return name;
  }
}

async function store(connection: TransferConnection, args: CommandArgs, mode: StoreMode): Promise<void> {
  const start = takeRestOffset(connection);
  const fs = connection.fs;
  if (!fs) return void (await connection.reply(550, 'File system not instantiated'));
  if (!fs.write) return void (await connection.reply(402, 'Not supported by file system'));
  let name = args.command.arg;
  if (mode === 'STOU') name = await uniqueName(connection, name);
  const socket = await waitForData(connection, args);
  if (!socket) return;

  const transfer = new ActiveTransfer(connection);
  let record: TransferRecord | undefined;
  let stream: Writable | undefined;
  try {
    let clientPath = name ?? '';
    try {
      ({ stream, clientPath } = unwrap(await fs.write(name, { append: mode === 'APPE', start: start || undefined }), clientPath));
      // Errors are collected by pumpUpload; until then one must not escape as an uncaught 'error' event.
      stream.on('error', () => undefined);
      refuseWhileDraining(stream);
      record = startRecord('upload', mode, clientPath, stream, args);
      if (stream instanceof CosUploadStream) await stream.prepare();
      if (transfer.abortReason) throw transfer.abortReason;
    } catch (err) {
      if (stream && !stream.destroyed) stream.destroy(err instanceof Error ? err : new Error(String(err)));
      if (stream) await closed(stream);
      const code = replyOf(err, 550).code;
      args.log.warn({ err: replyOf(err).message, code }, `${mode} refused`);
      record?.end({ code, bytes: 0, error: replyOf(err).message });
      await connection.reply(code, replyOf(err).message);
      return;
    }
    await connection.reply(150, mode === 'STOU' ? `FILE: ${clientPath}` : 'Opening data connection.');
    watchIdleData(socket, connection, transfer);
    const ascii = connection.transferType === 'ascii';
    const failure = await pumpUpload(socket, stream, transfer, ascii, !ascii && stream instanceof CosUploadStream ? stream : undefined);
    const bytes = stream instanceof CosUploadStream ? stream.bytesReceived : 0;
    await replyTransferEnd(connection, record, { clientPath, stream, failure, bytes });
  } finally {
    connection.connector.end();
    transfer.end();
  }
}

/**
 * data_connection_timeout: a data connection that moves no byte for that long ends its transfer with 426 (the
 * upload is aborted, the COS request and buffers freed), as vsftpd does.
 */
function watchIdleData(socket: Socket, connection: TransferConnection, transfer: ActiveTransfer): void {
  const timeoutMs = gatewayOf(connection)?.config.limits.dataConnectionTimeoutMs ?? 0;
  if (timeoutMs <= 0) return;
  const onTimeout = (): void => void transfer.abort(aborted('Data connection timed out; transfer aborted.'));
  socket.setTimeout(timeoutMs, onTimeout);
  void transfer.settled.then(() => {
    socket.off('timeout', onTimeout);
    if (!socket.destroyed) socket.setTimeout(0);
  });
}

/** Reads into a part buffer only where at least this much of it is free (else a pooled buffer, and a copy). */
const IN_PLACE_MIN_BYTES = 64 * 1024;

/**
 * Feeds the data connection into the upload; resolves with the failure, or undefined once the object is committed.
 * With `inPlace` (binary uploads to COS), the socket reads straight into the upload's part buffers where it can.
 */
function pumpUpload(socket: Socket, stream: Writable, transfer: ActiveTransfer, ascii: boolean, inPlace?: CosUploadStream): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const lineEndings = ascii ? new CrlfToLf() : undefined;
    /** Bytes written to the upload so far (readTarget needs them all in their part). */
    let written = 0;
    if (inPlace) readInto(socket, () => inPlace.readTarget(written, IN_PLACE_MIN_BYTES));
    let dataEnded = false;
    let settled = false;
    let failure: Error | undefined;
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      if (inPlace) readInto(socket, undefined);
      socket.off('data', onData);
      stream.off('drain', onDrain);
      resolve(err);
    };
    const abortWith = (reason: Error): void => {
      failure ??= reason;
      if (!stream.destroyed) stream.destroy(reason);
      else if (stream.closed) settle(failure);
    };
    const onData = (chunk: Buffer): void => {
      if (stream.destroyed || stream.writableEnded) return releaseChunk(chunk);
      const data = lineEndings ? lineEndings.push(chunk) : chunk;
      if (data.length === 0) return releaseChunk(chunk);
      written += data.length;
      // A pooled chunk (pooled-reads.ts) is given back once the upload stream has taken its bytes.
      if (!stream.write(data, () => releaseChunk(chunk))) socket.pause();
    };
    const onDrain = (): void => {
      socket.resume();
    };
    stream.on('error', (err) => {
      failure ??= err;
    });
    stream.once('finish', () => settle());
    // 'close' without 'finish': failed or aborted; the upload has cleaned up (multipart aborted) by now.
    stream.once('close', () => settle(failure ?? aborted()));
    socket.on('data', onData);
    stream.on('drain', onDrain);
    // A reset that arrives while the socket is paused (backpressure) reads as a plain end of data on Linux. A
    // zero-length write tells them apart (it fails on a reset connection), so a reset never commits a truncated file.
    socket.allowHalfOpen = true;
    socket.once('end', () => {
      // No byte can arrive after the client's FIN: no read lands in a part buffer any more.
      inPlace?.readsEnded();
      // On TLS the probe goes to the TCP socket underneath: a write into the TLS layer succeeds whatever happened.
      const tcp = (socket as Socket & { _parent?: Socket })._parent ?? socket;
      tcp.write(Buffer.alloc(0), (err) => {
        if (err) return abortWith(aborted('Data connection reset; transfer aborted.'));
        dataEnded = true;
        if (stream.destroyed) return;
        const rest = lineEndings?.flush();
        if (rest?.length) stream.write(rest);
        stream.end();
      });
    });
    socket.on('error', () => {
      // After a clean end of data the object is being committed; a late socket error changes nothing.
      if (!dataEnded) abortWith(aborted('Data connection lost; transfer aborted.'));
    });
    socket.once('close', () => {
      inPlace?.readsEnded();
      if (!dataEnded) abortWith(aborted('Data connection lost; transfer aborted.'));
    });
    transfer.onAbort((reason) => abortWith(reason));
    // Once its Complete is sent (or its whole-file PutObject handed to the system whole) the upload can no longer be
    // taken back: it answers for itself.
    stream.once(COMMITTING, () => transfer.committing());
    socket.resume();
  });
}

async function retrieve(connection: TransferConnection, args: CommandArgs): Promise<void> {
  const start = takeRestOffset(connection);
  const fs = connection.fs;
  if (!fs) return void (await connection.reply(550, 'File system not instantiated'));
  if (!fs.read) return void (await connection.reply(402, 'Not supported by file system'));
  const name = args.command.arg;
  const socket = await waitForData(connection, args);
  if (!socket) return;

  const transfer = new ActiveTransfer(connection);
  let record: TransferRecord | undefined;
  try {
    let stream: Readable;
    let clientPath = name ?? '';
    try {
      ({ stream, clientPath } = unwrap(await fs.read(name, { start: start || undefined }), clientPath));
      stream.on('error', () => undefined);
      if (targetOf(stream)?.services.draining) {
        stream.destroy(new Error('draining'));
        throw new ReplyError(421, 'Server is shutting down; try again later.');
      }
      record = startRecord('download', 'RETR', clientPath, stream, args);
      if (transfer.abortReason) {
        stream.destroy(transfer.abortReason);
        throw transfer.abortReason;
      }
    } catch (err) {
      const code = replyOf(err, 550).code;
      args.log.warn({ err: replyOf(err).message, code }, 'RETR refused');
      record?.end({ code, bytes: 0, error: replyOf(err).message });
      await connection.reply(code, replyOf(err).message);
      return;
    }
    await connection.reply(150, 'Opening data connection.');
    watchIdleData(socket, connection, transfer);
    const { failure, bytes } = await pumpDownload(stream, socket, transfer, connection.transferType === 'ascii');
    await replyTransferEnd(connection, record, { clientPath, stream, failure, bytes });
  } finally {
    connection.connector.end();
    transfer.end();
  }
}

/**
 * Bytes queued on the data connection before the COS body is paused. The body resumes only at 'drain' (queue empty),
 * so this is the cushion that keeps the client's connection busy while the store refills: 512 MiB curl downloads,
 * median of 7, 1 MiB → 1233 MiB/s, 4 MiB → 1618 (with two buffered slabs in the download stream: 1772). The bytes
 * are pooled read slabs, so it is also most of a download's memory.
 */
const DOWNLOAD_SOCKET_BUFFER = 4 * 1024 * 1024;

/** Sends the object to the client at the client's pace; any early end on either side frees the COS request. */
function pumpDownload(
  stream: Readable,
  socket: Socket,
  transfer: ActiveTransfer,
  ascii: boolean,
): Promise<{ failure?: Error; bytes: number }> {
  return new Promise((resolve) => {
    const lineEndings = ascii ? new LfToCrlf() : undefined;
    let bytes = 0;
    let sourceEnded = false;
    let settled = false;
    const settle = (failure?: Error): void => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      socket.off('drain', onDrain);
      if (failure) {
        // Destroying the source with an error makes the SDK abort the GetObject at once.
        if (!stream.destroyed) stream.destroy(failure instanceof ReplyError ? failure : new Error(failure.message));
        socket.destroy();
      }
      resolve({ failure, bytes });
    };
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      // Written whole (no copy); once the socket is done with it, the read buffer it lives in may be used again.
      socket.write(lineEndings ? lineEndings.push(chunk) : chunk, () => giveBack(chunk));
      // Paused past our own mark, not the socket's 16 KiB one: that paused and resumed the COS body on every chunk.
      if (socket.writableLength > DOWNLOAD_SOCKET_BUFFER) stream.pause();
    };
    const onDrain = (): void => {
      if (!settled) stream.resume();
    };
    const lost = (): void => settle(aborted('Data connection closed by the client; transfer aborted.'));
    stream.on('data', onData);
    socket.on('drain', onDrain);
    stream.once('end', () => {
      sourceEnded = true;
      socket.end(() => settle());
    });
    stream.on('error', (err: Error) => settle(err));
    stream.once('close', () => {
      if (!sourceEnded) settle(aborted('Transfer aborted.'));
    });
    // Read (and drop, giving pooled read buffers back) what the client sends, so that its closing the connection is
    // noticed at once.
    socket.on('data', releaseChunk);
    socket.once('end', () => {
      if (!sourceEnded) lost();
    });
    socket.on('error', lost);
    socket.once('close', () => {
      if (!settled) lost();
    });
    transfer.onAbort((reason) => settle(reason));
    socket.resume();
  });
}

/**
 * ABOR: a running transfer is aborted (it answers 426), then ABOR itself answers 226. An upload whose data has all
 * arrived and whose CompleteMultipartUpload is under way is not aborted (COS carries out a Complete it has
 * received): it answers for itself (226 once stored), then ABOR 226, as vsftpd and pyftpdlib answer an ABOR that
 * comes after the transfer finished.
 */
async function abort(connection: TransferConnection): Promise<void> {
  const transfer = activeTransfer(connection);
  if (transfer) {
    const stopped = transfer.abort(aborted('Transfer aborted by the client.'));
    await transfer.settled;
    await connection.reply(226, stopped ? 'ABOR successful; transfer aborted.' : 'ABOR successful; the transfer had already ended.');
    return;
  }
  // A listing, or a transfer still waiting for its data connection: closing the data connection (or its listener)
  // ends it with its own reply (426, 425), which goes first.
  const running = runningDataCommand(connection);
  connection.connector.end();
  if (running) {
    await running;
    await connection.reply(226, 'ABOR successful; the data command was ended.');
    return;
  }
  await connection.reply(226, 'No transfer in progress.');
}

/** While the server shuts down, running transfers finish but no new one starts. */
function refuseWhileDraining(stream: unknown): void {
  if (targetOf(stream)?.services.draining) throw new ReplyError(421, 'Server is shutting down; try again later.');
}

function startRecord(
  direction: Direction,
  command: string,
  clientPath: string,
  stream: unknown,
  args: CommandArgs,
): TransferRecord {
  return new TransferRecord(direction, command, clientPath, targetOf(stream), args.log);
}

/** ` (not verified: why)` when the bytes could not be checked against the store's CRC-64, else nothing. */
/** The final reply of an upload or download (226, or the failure's code), recorded first. */
async function replyTransferEnd(
  connection: TransferConnection,
  record: TransferRecord | undefined,
  end: { clientPath: string; stream: unknown; failure: Error | undefined; bytes: number },
): Promise<void> {
  if (!end.failure) {
    record?.end({ code: 226, bytes: end.bytes });
    await connection.reply(226, `Transfer complete: ${end.clientPath}${verificationNote(end.stream)}`);
    return;
  }
  const code = replyOf(end.failure, 451).code;
  record?.end({ code, bytes: end.bytes, error: replyOf(end.failure).message });
  await connection.reply(code, replyOf(end.failure).message);
}

function verificationNote(stream: unknown): string {
  const reason = stream instanceof CosUploadStream || stream instanceof CosDownloadStream ? stream.unverified : undefined;
  return reason ? ` (not verified: ${reason})` : '';
}
