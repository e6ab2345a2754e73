// What every benchmark client prints as its last stdout line: its own timing and resource use.
export interface ClientReport {
  seconds: number;
  bytes: number;
  count?: number;
  /** Peak RSS of the client process, bytes. */
  maxRss: number;
  cpuSeconds: number;
}

export function printReport(seconds: number, bytes: number, count?: number): void {
  const usage = process.resourceUsage();
  const report: ClientReport = {
    seconds,
    bytes,
    count,
    maxRss: usage.maxRSS * 1024,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

export function parseReport(stdout: string): ClientReport {
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ClientReport;
}

export const elapsed = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;
