// Micro benchmark of the CRC-64 implementations (`node dist/bench/crc64.js [--mib N]`, after `npm run build`): each
// hashes N MiB (default 256) of random bytes in 64 KiB calls (a socket read) and in 1 MiB calls, in this process;
// the table gives GiB/s by the wall clock and CPU seconds (user + system of the process) per GiB. Run it alone
// (nothing else measuring on the machine), as every speed figure.
import { randomBytes } from 'node:crypto';
import { crc64Accelerated, crc64Implementation, crc64Implementations } from '../src/util/crc64';

const GiB = 1024 ** 3;

function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

function main(): void {
  const at = process.argv.indexOf('--mib');
  const mib = at > 0 ? Number(process.argv[at + 1]) : 256;
  const source = randomBytes(16 * 1024 * 1024); // hashed over and over: stays in memory, not in the caches
  console.log(`CRC-64 implementations; in use: ${crc64Implementation}${crc64Implementation === 'native' ? ` (carry-less multiplication: ${crc64Accelerated})` : ''}; ${mib} MiB per row`);
  console.log('| implementation | call size | GiB/s | CPU s per GiB |');
  console.log('| --- | --- | --- | --- |');
  for (const [name, create] of crc64Implementations) {
    for (const call of [64 * 1024, 1024 * 1024]) {
      // The slow ones get a smaller share (the rate is what is compared), at least 32 MiB.
      const total = Math.max(32, name === 'native' ? mib : mib / 4) * 1024 * 1024;
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
}

main();
