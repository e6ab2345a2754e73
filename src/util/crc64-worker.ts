// Worker thread body for crc64-offload.ts: keeps one CRC-64 per job id, updated with the batches it is sent, in order.
import { parentPort } from 'node:worker_threads';
import { Crc64 } from './crc64';

export type CrcRequest =
  | { type: 'update'; id: number; data: Uint8Array }
  | { type: 'digest'; id: number }
  | { type: 'drop'; id: number };

/** An ack hands the batch's memory back (transferred), so that the sender can fill it again. */
export type CrcReply =
  | { type: 'ack'; id: number; bytes: number; buffer: ArrayBuffer }
  | { type: 'digest'; id: number; crc: string };

const jobs = new Map<number, Crc64>();

parentPort?.on('message', (message: CrcRequest) => {
  if (message.type === 'update') {
    let crc = jobs.get(message.id);
    if (!crc) jobs.set(message.id, (crc = new Crc64()));
    crc.update(message.data);
    const buffer = message.data.buffer as ArrayBuffer;
    parentPort?.postMessage({ type: 'ack', id: message.id, bytes: message.data.length, buffer } satisfies CrcReply, [buffer]);
  } else if (message.type === 'digest') {
    const crc = jobs.get(message.id) ?? new Crc64();
    jobs.delete(message.id);
    parentPort?.postMessage({ type: 'digest', id: message.id, crc: crc.digest() } satisfies CrcReply);
  } else {
    jobs.delete(message.id);
  }
});
