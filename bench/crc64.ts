// Micro benchmark of the CRC-64 implementations (`node dist/bench/crc64.js [--mib N]`, after `npm run build`): each
// hashes N MiB (default 256) of random bytes in 64 KiB calls (a socket read) and in 1 MiB calls, in this process;
// the table gives GiB/s by the wall clock and CPU seconds (user + system of the process) per GiB. Then a download's
// check as the gateway makes it (OffloadedCrc64, 64 KiB chunks): placed by default and forced onto the worker
// threads, with the CPU of the whole process (workers included) and the event loop's time in update() per GiB.
// COS_FTP_CRC64=wasm shows the fallback's figures (the state before the native CRC-64). Run it alone (nothing else
// measuring on the machine), as every speed figure.
import { randomBytes } from 'node:crypto';
import { crc64Implementation, crc64Implementations, crc64NativeMethod } from '../src/util/crc64';
import { OffloadedCrc64, type CrcPlacement } from '../src/util/crc64-offload';

const GiB = 1024 ** 3;

function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** One download's worth of bytes through OffloadedCrc64, waiting when it says it is behind, as DownloadStream does;
 *  returns the seconds spent in update() (the event loop's share: hashing inline, or copying and posting). */
async function offloaded(placement: CrcPlacement, source: Buffer, total: number): Promise<number> {
  const call = 64 * 1024;
  const job = new OffloadedCrc64(placement);
  let inUpdate = 0n;
  for (let done = 0; done < total; done += call) {
    const offset = done % source.length;
    const t0 = process.hrtime.bigint();
    // A fresh view per chunk, as a socket hands them over.
    const ok = job.update(source.subarray(offset, offset + call));
    inUpdate += process.hrtime.bigint() - t0;
    if (!ok) await new Promise<void>((resolve) => job.whenRelieved(resolve));
  }
  await job.digest();
  return Number(inUpdate) / 1e9;
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--mib');
  const mib = at > 0 ? Number(process.argv[at + 1]) : 256;
  const source = randomBytes(16 * 1024 * 1024); // hashed over and over: stays in memory, not in the caches
  console.log(`CRC-64 implementations; in use: ${crc64Implementation}${crc64Implementation === 'native' ? ` (${crc64NativeMethod})` : ''}; ${mib} MiB per row`);
  console.log('| implementation | call size | GiB/s | CPU s per GiB |');
  console.log('| --- | --- | --- | --- |');
  for (const [name, create] of crc64Implementations) {
    for (const call of [64 * 1024, 1024 * 1024]) {
      // The slow ones get a smaller share (the rate is what is compared), at least 32 MiB.
      const total = Math.max(32, name === 'native' || name.endsWith('clmulqdq') ? mib : mib / 4) * 1024 * 1024;
      create().update(source.subarray(0, call)); // warm up (tables, compilation)
      const crc = create();
      const cpu0 = cpuSeconds();
      const t0 = process.hrtime.bigint();
      for (let done = 0; done < total; done += call) {
        const offset = done % source.length;
        crc.update(source.subarray(offset, offset + call));
      }
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = cpuSeconds() - cpu0;
      crc.digest();
      console.log(`| ${name} | ${call / 1024} KiB | ${(total / GiB / seconds).toFixed(2)} | ${(cpu / (total / GiB)).toFixed(3)} |`);
    }
  }
  console.log('');
  console.log(`A download's check (OffloadedCrc64, 64 KiB chunks, ${mib} MiB), implementation ${crc64Implementation}`);
  console.log('| placement | GiB/s | process CPU s per GiB | event loop s per GiB in update() |');
  console.log('| --- | --- | --- | --- |');
  for (const placement of ['auto', 'workers'] as const) {
    const total = mib * 1024 * 1024;
    await offloaded(placement, source, 16 * 1024 * 1024); // start the workers, warm up
    const cpu0 = cpuSeconds();
    const t0 = process.hrtime.bigint();
    const busy = await offloaded(placement, source, total);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = cpuSeconds() - cpu0;
    const perGiB = (x: number): string => (x / (total / GiB)).toFixed(3);
    console.log(`| ${placement} | ${(total / GiB / seconds).toFixed(2)} | ${perGiB(cpu)} | ${perGiB(busy)} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
