// The periodic status line: sessions, transfers, memory and CPU of the daemon.
import pidusage from 'pidusage';
import type { GatewayContext } from '../ftp/context';

export interface StatusFigures {
  sessions: number;
  transfers: number;
  uploadSlotsInUse: number;
  uploadSlotsWaiting: number;
  /** Bytes reserved for upload parts now, the most since start, and uploads waiting for space. */
  uploadBufferBytes: number;
  uploadBufferPeakBytes: number;
  uploadBufferWaiting: number;
  rssMiB: number;
  /** Percent of one CPU since the previous sample. */
  cpuPercent: number;
}

export async function sampleStatus(context: GatewayContext): Promise<StatusFigures> {
  let rss = process.memoryUsage.rss();
  let cpu = 0;
  try {
    const usage = await pidusage(process.pid);
    rss = usage.memory;
    cpu = usage.cpu;
  } catch {
    // pidusage reads /proc; Node's own RSS figure is used without it
  }
  return {
    sessions: context.stats.sessions,
    transfers: context.stats.transfers,
    uploadSlotsInUse: context.uploadSlots.inUse,
    uploadSlotsWaiting: context.uploadSlots.waiting,
    uploadBufferBytes: context.uploadBuffers.current,
    uploadBufferPeakBytes: context.uploadBuffers.peak,
    uploadBufferWaiting: context.uploadBuffers.waiting,
    rssMiB: Math.round(rss / 1024 / 1024),
    cpuPercent: Math.round(cpu * 10) / 10,
  };
}

/** Logs a status line every intervalMs; returns a function that stops it. */
export function startStatusLine(context: GatewayContext, intervalMs: number): () => void {
  if (intervalMs <= 0) return () => undefined;
  const log = context.logger.child({ component: 'status' });
  const timer = setInterval(() => {
    sampleStatus(context).then(
      (figures) => log.info(figures, 'status'),
      () => undefined,
    );
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    pidusage.clear();
  };
}
