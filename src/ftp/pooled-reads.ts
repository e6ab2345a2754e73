// Plain (unencrypted) data connections read into reused buffers (src/util/buffer-pool.ts) instead of Node's fresh
// 64 KiB buffer per read, which cost an upload a full garbage collection about every 30 MiB (docs/hot-path.md).
// Node reads into caller-given memory only for sockets made with `onread`: an active-mode socket is made so; a
// passive one is accepted by net.Server, which has no such option, so its handle (accepted paused, nothing read
// yet) is moved into a new socket made with it. TLS data connections and those behind a PROXY header are left as
// they are (the TLS layer reads its socket itself; a PROXY header has been read already).
//
// The 'data' events of such a socket carry borrowed chunks: a chunk stays valid until it is given back with
// `releaseChunk`, which its consumer calls once its bytes are used (pumpUpload: the upload stream's write callback).
// A chunk nobody gives back is simply collected; a read never lands in a buffer that is still borrowed.
import net from 'node:net';
import { dataReadBuffers } from '../util/buffer-pool';

/** Node's socket internals used here: the handle (its file descriptor's wrapper). */
interface HandleOwner {
  _handle: object | null;
}

interface Owner {
  socket?: net.Socket;
  /** The buffer handed to Node for the next read (borrowed, not yet filled). */
  next?: Buffer;
  /** The consumer's choice of memory for the next read, when it has one (readInto). */
  target?: ReadTarget;
}

/**
 * Memory of the consumer's for the next read of a data socket, or undefined for a pooled buffer. Node asks right
 * after each read has been handed on (its 'data' listeners have run), before the read after it.
 */
export type ReadTarget = () => Buffer | undefined;

const owners = new WeakMap<net.Socket, Owner>();

/**
 * From the next read on, `socket` reads where `target` says (until it says undefined, or readInto(socket,
 * undefined)): an upload reads straight into its part buffer instead of copying from a pooled one. False for a
 * socket that does not read into chosen memory (TLS, PROXY, or made elsewhere). The 'data' event then carries a
 * view of exactly the memory chosen, filled from its start; nothing of it is given back to the pool.
 */
export function readInto(socket: net.Socket, target: ReadTarget | undefined): boolean {
  const owner = owners.get(socket);
  if (!owner) return false;
  owner.target = target;
  return true;
}

/** The `onread` option of a new socket that emits borrowed chunks as 'data' (set `owner.socket` once it exists). */
function pooledOnread(owner: Owner): net.OnReadOpts {
  return {
    buffer: () => (owner.next = owner.target?.() ?? dataReadBuffers.take()),
    callback: (bytes: number, buffer: Uint8Array) => {
      // Filled: the chunk's consumer gives it back now, whatever happens next.
      owner.next = undefined;
      owner.socket?.emit('data', Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
      // Go on reading (a consumer that wants a pause calls socket.pause(), as with any socket).
      return true;
    },
  };
}

/** The buffer waiting for the next read goes back to the pool once the socket can no longer read. */
function giveBackOnClose(owner: Owner): net.Socket {
  const socket = owner.socket as net.Socket;
  owners.set(socket, owner);
  socket.once('close', () => {
    if (owner.next) dataReadBuffers.give(owner.next);
    owner.next = undefined;
  });
  return socket;
}

/** A new, unconnected socket for an active-mode data connection, reading into pooled buffers. */
export function pooledActiveSocket(): net.Socket {
  const owner: Owner = {};
  const options: net.SocketConstructorOpts & { onread: net.OnReadOpts } = { onread: pooledOnread(owner) };
  owner.socket = new net.Socket(options);
  return giveBackOnClose(owner);
}

/**
 * The accepted passive connection `plain` (paused on connect, nothing read) as a socket reading into pooled buffers;
 * `plain` itself is done with (its server no longer counts it). Where Node's internals are not as expected, `plain`
 * is returned unchanged.
 */
export function pooledAcceptedSocket(plain: net.Socket): net.Socket {
  const internals = plain as unknown as HandleOwner;
  const handle = internals._handle;
  if (!handle || plain.destroyed || plain.readableFlowing === true) return plain;
  internals._handle = null;
  plain.destroy();
  const owner: Owner = {};
  // `handle` and `pauseOnCreate` are what net.Server itself passes for an accepted connection (not in the typings).
  const options: net.SocketConstructorOpts & { handle: object; pauseOnCreate: boolean; onread: net.OnReadOpts } = {
    handle,
    allowHalfOpen: plain.allowHalfOpen,
    pauseOnCreate: true,
    onread: pooledOnread(owner),
  };
  owner.socket = new net.Socket(options);
  return giveBackOnClose(owner);
}

/** Gives a chunk from a data connection's 'data' event back once its bytes are used (other chunks: no effect). */
export function releaseChunk(chunk: Uint8Array): void {
  dataReadBuffers.give(chunk);
}
