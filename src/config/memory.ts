// Memory figures the configuration reasons with: what the machine has available, and the original's estimate of
// what the server needs apart from upload buffers (from which the default upload buffer budget follows).
import fs from 'node:fs';
import os from 'node:os';

const KIB = 1024;
const MIB = 1024 * KIB;
/** The original refuses to start when its estimate exceeds this share of the available memory. */
export const MEMORY_SHARE = 0.6;

/** What the estimates read from a configuration. */
export interface MemoryInputs {
  maxConnectionNum: number;
  maxListFile: number;
  transfer: { minPartSize: number; uploadThreadNum: number };
}

/** MemAvailable from /proc/meminfo (what the kernel can give without swapping), else os.freemem(). */
export function availableMemory(): number {
  try {
    const m = /^MemAvailable:\s+(\d+)\s+kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * KIB;
  } catch {
    // not Linux: fall through
  }
  return os.freemem();
}

/**
 * The original's estimate without the upload buffers: 20 MB + 2 MB per connection + max_list_file KB for half of
 * the connections. Connections are max_connection_num - 1, as in the original; 0 (unlimited) is estimated as 512.
 */
export function baseMemory(config: Omit<MemoryInputs, 'transfer'>): number {
  const connections = (config.maxConnectionNum > 0 ? config.maxConnectionNum : 512) - 1;
  return 20 * MIB + connections * 2 * MIB + (connections / 2) * config.maxListFile * KIB;
}

/** The smallest budget that keeps every upload thread busy: (upload_thread_num + 2) parts. */
export function minimumUploadBufferSize(config: MemoryInputs): number {
  return (config.transfer.uploadThreadNum + 2) * config.transfer.minPartSize;
}

/**
 * `upload_buffer_size = default`: what the original's memory check leaves for upload buffers, i.e. 60 % of the
 * available memory less the rest of its estimate (connections, listings), but at least `minimumUploadBufferSize`.
 */
export function defaultUploadBufferSize(config: MemoryInputs, available: number = availableMemory()): number {
  return Math.max(minimumUploadBufferSize(config), Math.floor(MEMORY_SHARE * available - baseMemory(config)));
}
