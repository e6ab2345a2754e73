// The PROXY protocol parser over raw bytes: valid version 1 and 2 headers, and everything a broken or hostile
// balancer (or a client pretending to be one) could send.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { V1_MAX_LENGTH, V2_MAX_LENGTH, V2_SIGNATURE, parseProxyHeader } from '../../src/ftp/proxy/header';
import type { ProxyParse } from '../../src/ftp/proxy/header';

const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');

function complete(parse: ProxyParse): Extract<ProxyParse, { state: 'complete' }> {
  assert.equal(parse.state, 'complete', JSON.stringify(parse));
  return parse as Extract<ProxyParse, { state: 'complete' }>;
}

function invalidReason(parse: ProxyParse): string {
  assert.equal(parse.state, 'invalid', JSON.stringify(parse));
  return (parse as Extract<ProxyParse, { state: 'invalid' }>).reason;
}

/** A version 2 header: command (0 LOCAL, 1 PROXY), family/transport byte, address block, TLVs. */
function v2(command: number, familyTransport: number, addresses: Buffer, tlvs: Buffer = Buffer.alloc(0)): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(addresses.length + tlvs.length);
  return Buffer.concat([V2_SIGNATURE, Buffer.from([0x20 | command, familyTransport]), length, addresses, tlvs]);
}

function tlv(type: number, value: Buffer): Buffer {
  const head = Buffer.from([type, 0, 0]);
  head.writeUInt16BE(value.length, 1);
  return Buffer.concat([head, value]);
}

const inet = (src: number[], dst: number[], sport: number, dport: number): Buffer => {
  const b = Buffer.alloc(12);
  Buffer.from(src).copy(b, 0);
  Buffer.from(dst).copy(b, 4);
  b.writeUInt16BE(sport, 8);
  b.writeUInt16BE(dport, 10);
  return b;
};

test('v1 TCP4: the client and balancer endpoints, and the header length (bytes after it are not consumed)', () => {
  const header = 'PROXY TCP4 192.0.2.10 198.51.100.1 56324 21\r\n';
  const parsed = complete(parseProxyHeader(ascii(`${header}USER x\r\n`)));
  assert.equal(parsed.length, header.length);
  assert.deepEqual(parsed.header, {
    version: 1,
    source: { address: '192.0.2.10', port: 56324, family: 'IPv4' },
    destination: { address: '198.51.100.1', port: 21, family: 'IPv4' },
    tlvs: [],
  });
});

test('v1 TCP6: canonical lower-case compressed text; an IPv4-mapped address becomes plain IPv4', () => {
  const parsed = complete(parseProxyHeader(ascii('PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::1 65535 0\r\n')));
  assert.deepEqual(parsed.header.source, { address: '2001:db8::1', port: 65535, family: 'IPv6' });
  assert.deepEqual(parsed.header.destination, { address: '::1', port: 0, family: 'IPv6' });
  const mapped = complete(parseProxyHeader(ascii('PROXY TCP6 ::ffff:203.0.113.7 ::1 1000 21\r\n')));
  assert.deepEqual(mapped.header.source, { address: '203.0.113.7', port: 1000, family: 'IPv4' });
});

test('v1 UNKNOWN: accepted without addresses (the connection\'s own endpoints are the real ones)', () => {
  for (const line of ['PROXY UNKNOWN\r\n', 'PROXY UNKNOWN ffff:f::1 ffff:f::2 1 2\r\n']) {
    const parsed = complete(parseProxyHeader(ascii(line)));
    assert.equal(parsed.length, line.length);
    assert.deepEqual(parsed.header, { version: 1, tlvs: [] });
  }
});

test('v1 incomplete at every length short of the CRLF', () => {
  const line = ascii('PROXY TCP4 192.0.2.10 198.51.100.1 56324 21\r\n');
  for (let n = 0; n < line.length; n++) assert.deepEqual(parseProxyHeader(line.subarray(0, n)), { state: 'incomplete' }, `${n} bytes`);
});

test('v1 malformed: each rejected with a reason', () => {
  const cases: [string, RegExp][] = [
    ['PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n', /TCP4, TCP6 or UNKNOWN/],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n', /must be: PROXY/],
    ['PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n', /must be: PROXY/],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n', /must be: PROXY/],
    ['PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n', /source address/],
    ['PROXY TCP4 127.0.0.010 5.6.7.8 1 2\r\n', /source address/],
    ['PROXY TCP4 ::1 5.6.7.8 1 2\r\n', /source address/],
    ['PROXY TCP6 1.2.3.4 ::1 1 2\r\n', /source address/],
    ['PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n', /source address/],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n', /source port/],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 021 2\r\n', /source port/],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1 -2\r\n', /destination port/],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n', /LF without CR/],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX', /CR not followed by LF/],
    ['proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n', /not a PROXY protocol header/],
    ['USER anonymous\r\n', /not a PROXY protocol header/],
    ['\x16\x03\x01\x02\x00', /not a PROXY protocol header/],
  ];
  for (const [line, reason] of cases) assert.match(invalidReason(parseProxyHeader(ascii(line))), reason, JSON.stringify(line));
});

test('v1 oversized: no CRLF within 107 bytes is refused at once, not buffered', () => {
  const longest = `PROXY UNKNOWN ${'x'.repeat(V1_MAX_LENGTH - 16)}\r\n`;
  assert.equal(longest.length, V1_MAX_LENGTH);
  assert.equal(complete(parseProxyHeader(ascii(longest))).length, V1_MAX_LENGTH);
  const over = `PROXY UNKNOWN ${'x'.repeat(V1_MAX_LENGTH - 15)}\r\n`;
  assert.match(invalidReason(parseProxyHeader(ascii(over))), /longer than 107/);
  assert.match(invalidReason(parseProxyHeader(ascii(`PROXY TCP4 ${'1'.repeat(200)}`))), /longer than 107/);
  // A CR as the 107th byte: the LF would be the 108th.
  assert.match(invalidReason(parseProxyHeader(ascii(`PROXY UNKNOWN ${'x'.repeat(V1_MAX_LENGTH - 15)}\r`))), /longer than 107/);
});

test('v2 PROXY TCP over IPv4 with TLVs (ALPN, authority, unique id, NOOP padding)', () => {
  const tlvs = Buffer.concat([tlv(0x01, ascii('ftp')), tlv(0x02, ascii('ftp.example.com')), tlv(0x05, Buffer.alloc(0)), tlv(0x04, Buffer.alloc(3))]);
  const bytes = v2(1, 0x11, inet([192, 0, 2, 10], [198, 51, 100, 1], 56324, 21), tlvs);
  const parsed = complete(parseProxyHeader(Buffer.concat([bytes, ascii('trailing')])));
  assert.equal(parsed.length, bytes.length);
  assert.deepEqual(parsed.header.source, { address: '192.0.2.10', port: 56324, family: 'IPv4' });
  assert.deepEqual(parsed.header.destination, { address: '198.51.100.1', port: 21, family: 'IPv4' });
  assert.deepEqual(
    parsed.header.tlvs.map((t) => [t.type, t.value.toString('latin1')]),
    [[0x01, 'ftp'], [0x02, 'ftp.example.com'], [0x05, ''], [0x04, '\0\0\0']],
  );
});

test('v2 PROXY TCP over IPv6, and IPv4-mapped IPv6 as plain IPv4', () => {
  const block = Buffer.alloc(36);
  Buffer.from('20010db8000000000000000000000001', 'hex').copy(block, 0);
  Buffer.from('00000000000000000000ffffc0000207', 'hex').copy(block, 16);
  block.writeUInt16BE(40000, 32);
  block.writeUInt16BE(2121, 34);
  const parsed = complete(parseProxyHeader(v2(1, 0x21, block)));
  assert.deepEqual(parsed.header.source, { address: '2001:db8::1', port: 40000, family: 'IPv6' });
  assert.deepEqual(parsed.header.destination, { address: '192.0.2.7', port: 2121, family: 'IPv4' });
});

test('v2 LOCAL (a health check) and PROXY with an unspecified or Unix family: no addresses', () => {
  // LOCAL with an address block anyway: skipped, as the specification asks.
  const local = v2(0, 0x11, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2));
  assert.deepEqual(complete(parseProxyHeader(local)), { state: 'complete', header: { version: 2, tlvs: [] }, length: local.length });
  assert.deepEqual(complete(parseProxyHeader(v2(0, 0x00, Buffer.alloc(0)))).header, { version: 2, tlvs: [] });
  assert.deepEqual(complete(parseProxyHeader(v2(1, 0x00, Buffer.alloc(0)))).header, { version: 2, tlvs: [] });
  assert.deepEqual(complete(parseProxyHeader(v2(1, 0x31, Buffer.alloc(216)))).header, { version: 2, tlvs: [] });
});

test('v2 incomplete at every length short of the whole header', () => {
  const bytes = v2(1, 0x11, inet([10, 0, 0, 1], [10, 0, 0, 2], 1, 2), tlv(0x02, ascii('host')));
  for (let n = 0; n < bytes.length; n++) assert.deepEqual(parseProxyHeader(bytes.subarray(0, n)), { state: 'incomplete' }, `${n} bytes`);
});

test('v2 malformed: version, command, family, transport, short address block, cut-off TLVs', () => {
  const addresses = inet([10, 0, 0, 1], [10, 0, 0, 2], 1, 2);
  const withVersion = (byte: number): Buffer => {
    const b = v2(1, 0x11, addresses);
    b[12] = byte;
    return b;
  };
  assert.match(invalidReason(parseProxyHeader(withVersion(0x11))), /version 1/);
  assert.match(invalidReason(parseProxyHeader(withVersion(0x22))), /command must be LOCAL/);
  assert.match(invalidReason(parseProxyHeader(v2(1, 0x41, addresses))), /family must be 0-3/);
  assert.match(invalidReason(parseProxyHeader(v2(1, 0x12, addresses))), /transport must be STREAM/);
  assert.match(invalidReason(parseProxyHeader(v2(1, 0x10, addresses))), /transport must be STREAM/);
  assert.match(invalidReason(parseProxyHeader(v2(1, 0x21, addresses))), /needs 36 bytes/);
  assert.match(invalidReason(parseProxyHeader(v2(1, 0x11, addresses, Buffer.from([0x01, 0x00])))), /cut off/);
  assert.match(invalidReason(parseProxyHeader(v2(1, 0x11, addresses, Buffer.from([0x01, 0x00, 0x09, 0x41])))), /runs past/);
  // A signature that goes wrong part-way is not a header of either version.
  assert.match(invalidReason(parseProxyHeader(Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0b]))), /not a PROXY/);
});

test('v2 oversized: a length above the bound is refused from the first 16 bytes, before the body arrives', () => {
  const head = Buffer.concat([V2_SIGNATURE, Buffer.from([0x21, 0x11, 0xff, 0xff])]);
  assert.match(invalidReason(parseProxyHeader(head)), /above the 4112 accepted/);
  const largest = v2(1, 0x11, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), tlv(0x04, Buffer.alloc(V2_MAX_LENGTH - 16 - 12 - 3)));
  assert.equal(largest.length, V2_MAX_LENGTH);
  assert.equal(complete(parseProxyHeader(largest)).length, V2_MAX_LENGTH);
});
