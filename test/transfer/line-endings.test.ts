// TYPE A conversions, with the data split at every possible point (a CR at the end of one chunk, LF at the start
// of the next).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CrlfToLf, LfToCrlf } from '../../src/transfer/line-endings';

const samples = ['', 'a', '\r', '\n', '\r\n', 'a\r\nb\r\n', 'a\nb\r\nc\rd\r\r\n\n', 'x\r', '\r\r\n\r'];

function splitRun(conv: { push(b: Buffer): Buffer; flush?(): Buffer }, text: string, at: number[]): string {
  const data = Buffer.from(text, 'latin1');
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...at, data.length]) {
    out.push(conv.push(data.subarray(from, cut)));
    from = cut;
  }
  if (conv.flush) out.push(conv.flush());
  return Buffer.concat(out).toString('latin1');
}

test('CRLF -> LF whatever the chunking', () => {
  for (const s of samples) {
    const expected = s.replace(/\r\n/g, '\n');
    for (let i = 0; i <= s.length; i++) {
      for (let j = i; j <= s.length; j++) assert.equal(splitRun(new CrlfToLf(), s, [i, j]), expected, JSON.stringify([s, i, j]));
    }
  }
});

test('bare LF -> CRLF whatever the chunking', () => {
  for (const s of samples) {
    const expected = s.replace(/(?<!\r)\n/g, '\r\n');
    for (let i = 0; i <= s.length; i++) {
      for (let j = i; j <= s.length; j++) assert.equal(splitRun(new LfToCrlf(), s, [i, j]), expected, JSON.stringify([s, i, j]));
    }
  }
});
