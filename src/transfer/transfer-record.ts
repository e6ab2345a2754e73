// One line per transfer (user, path, bytes, ms, result) and the live transfer count of the gateway.
import type { Logger } from 'pino';
import type { TransferTarget } from './target';

export type Direction = 'upload' | 'download';

/** Transfers started, by direction, since the process started (the gateway's stats count running ones). */
export const transferTotals = { upload: 0, download: 0 };

export class TransferRecord {
  private readonly startedAt = Date.now();
  private ended = false;

  constructor(
    private readonly direction: Direction,
    private readonly command: string,
    private readonly path: string,
    private readonly target: TransferTarget | undefined,
    private readonly log: Logger,
  ) {
    transferTotals[direction]++;
    if (target) target.services.stats.transfers++;
  }

  end(result: { code: number; bytes: number; error?: string }): void {
    if (this.ended) return;
    this.ended = true;
    const durationMs = Date.now() - this.startedAt;
    if (this.target) {
      this.target.services.stats.transfers--;
      this.target.services.onTransferEnded?.({ direction: this.direction, ok: result.code < 300, bytes: result.bytes, durationMs });
    }
    const line = {
      transfer: this.direction,
      command: this.command,
      user: this.target?.user,
      path: this.path,
      key: this.target?.key,
      bytes: result.bytes,
      ms: durationMs,
      code: result.code,
      result: result.code < 300 ? 'ok' : 'failed',
      error: result.error,
    };
    if (result.code < 300) this.log.info(line, 'transfer complete');
    else this.log.warn(line, 'transfer failed');
  }
}

/** The TransferTarget behind a stream made by this layer, if it is one. */
export function targetOf(stream: unknown): TransferTarget | undefined {
  const t = (stream as { target?: TransferTarget } | null)?.target;
  return t && typeof t === 'object' && 'services' in t ? t : undefined;
}
