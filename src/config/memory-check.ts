// The original's start-up check (config_check_enable): refuse to start when the estimated peak memory of the
// server is more than 60 % of the memory available to it.
import pidusage from 'pidusage';
import { GIB, MIB } from './defaults';
import { MEMORY_SHARE, availableMemory, baseMemory } from './memory';
import type { ServerConfig } from './types';

/** The original refuses single_file_max_size above 40 TB (40 * 1000 GiB). */
export const SINGLE_FILE_LIMIT = 40 * 1000 * GIB;

export interface MemoryEstimate {
  /** Bytes the server may need at peak, by the original's formula. */
  required: number;
  /** Bytes it may use: 60 % of (available memory + what this process already holds). */
  budget: number;
  available: number;
  rss: number;
}

/**
 * The original's formula: 20 MB base + 2 MB per connection + max_list_file KB per listing connection (half of the
 * connections) + one part buffer per upload (half of the connections plus the upload threads), the last never more
 * than upload_buffer_size (the budget bounds it).
 */
export function requiredMemory(config: ServerConfig): number {
  const connections = (config.maxConnectionNum > 0 ? config.maxConnectionNum : 512) - 1;
  const uploadBuffers = Math.min(
    (connections / 2 + config.transfer.uploadThreadNum) * config.transfer.minPartSize,
    config.transfer.uploadBufferSize,
  );
  return Math.ceil(baseMemory(config) + uploadBuffers);
}

export async function estimateMemory(config: ServerConfig): Promise<MemoryEstimate> {
  const available = availableMemory();
  let rss = process.memoryUsage.rss();
  try {
    rss = (await pidusage(process.pid)).memory;
  } catch {
    // pidusage reads /proc; keep Node's own figure when it cannot
  }
  // This process already holds `rss`, which MemAvailable no longer counts.
  return { required: requiredMemory(config), budget: MEMORY_SHARE * (available + rss), available, rss };
}

/** Problems found by the original's check (empty when fine or when config_check_enable is false). */
export async function checkResources(config: ServerConfig): Promise<string[]> {
  if (!config.configCheckEnable) return [];
  const problems: string[] = [];
  if (config.transfer.singleFileMaxSize > SINGLE_FILE_LIMIT) {
    problems.push(`[FILE_OPTION] single_file_max_size can be at most 40 TB (${SINGLE_FILE_LIMIT} bytes)`);
  }
  const m = await estimateMemory(config);
  if (m.required > m.budget) {
    problems.push(
      `[OPTIONAL] max_connection_num / max_list_file / min_part_size / upload_thread_num: the server may need up to ` +
        `${mib(m.required)} MiB but 60% of the available memory is ${mib(m.budget)} MiB. Lower max_connection_num ` +
        `(or max_list_file, min_part_size, upload_thread_num), free some memory, or set config_check_enable = false`,
    );
  }
  return problems;
}

function mib(bytes: number): string {
  return (bytes / MIB).toFixed(0);
}
