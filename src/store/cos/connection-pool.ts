// Keep-alive connections per endpoint for the GetObject client. A connection comes back only after its response
// was read to the end (the caller decides that); an idle one is closed after IDLE_MS or when the server closes it,
// and holds the process open neither way (unref'd).
import { type Endpoint, HttpConnection } from './http-connection';

/** Idle connections are closed after this long (COS keeps them longer; a shorter wait never races its close). */
export const IDLE_MS = 15_000;
/** Idle connections kept per endpoint at most. */
const MAX_IDLE = 64;

interface Idle {
  connection: HttpConnection;
  timer: NodeJS.Timeout;
}

export class ConnectionPool {
  private readonly idle = new Map<string, Idle[]>();
  /** Connections opened since the pool was made (tests and the status read it). */
  opened = 0;

  /**
   * An idle connection to the endpoint (the most recently used), or a new one (always when `fresh`); `reused` says
   * which.
   */
  acquire(endpoint: Endpoint, fresh = false): { connection: HttpConnection; reused: boolean } {
    const key = keyOf(endpoint);
    const list = fresh ? undefined : this.idle.get(key);
    while (list && list.length > 0) {
      const { connection, timer } = list.pop() as Idle;
      clearTimeout(timer);
      if (list.length === 0) this.idle.delete(key);
      if (!connection.alive) continue;
      connection.socket.ref();
      return { connection, reused: true };
    }
    this.opened++;
    return { connection: new HttpConnection(endpoint, key, (c) => this.forget(c)), reused: false };
  }

  /** A connection whose response was read to its end, ready for the next request. */
  release(connection: HttpConnection): void {
    if (!connection.alive) return;
    const list = this.idle.get(connection.key) ?? [];
    if (list.length >= MAX_IDLE) return connection.destroy();
    connection.socket.unref();
    const timer = setTimeout(() => connection.destroy(), IDLE_MS);
    timer.unref();
    list.push({ connection, timer });
    this.idle.set(connection.key, list);
  }

  /** Closes every idle connection. */
  close(): void {
    for (const list of this.idle.values()) for (const { connection } of [...list]) connection.destroy();
  }

  private forget(connection: HttpConnection): void {
    const list = this.idle.get(connection.key);
    if (!list) return;
    const i = list.findIndex((e) => e.connection === connection);
    if (i < 0) return;
    clearTimeout(list[i].timer);
    list.splice(i, 1);
    if (list.length === 0) this.idle.delete(connection.key);
  }
}

function keyOf(e: Endpoint): string {
  return `${e.secure ? 'https' : 'http'}://${e.host}:${e.port}/${e.servername ?? ''}`;
}
