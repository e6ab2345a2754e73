// The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2) that a load balancer writes at the
// start of each connection it forwards, carrying the client's real address. A pure parser over the bytes received
// so far: it says "incomplete" until it has the whole header, so the caller can read from a socket in any pieces.
import { isIPv4, isIPv6 } from 'node:net';

export interface ProxyEndpoint {
  /** Canonical text: dotted IPv4 (an IPv4-mapped IPv6 address is given as IPv4), or compressed lower-case IPv6. */
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

/** A type-length-value extension of a version 2 header (e.g. 0x01 ALPN, 0x02 authority, 0x20 SSL). */
export interface ProxyTlv {
  type: number;
  value: Buffer;
}

export interface ProxyHeader {
  version: 1 | 2;
  /**
   * The client's and the balancer's endpoints, or undefined when the header carries none (v1 UNKNOWN, v2 LOCAL
   * such as a balancer's own health check, v2 with an unspecified or Unix family): the connection's own
   * endpoints are then the real ones, as the specification says.
   */
  source?: ProxyEndpoint;
  destination?: ProxyEndpoint;
  tlvs: ProxyTlv[];
}

export type ProxyParse =
  | { state: 'incomplete' }
  | { state: 'invalid'; reason: string }
  /** `length` bytes of the input are the header; what follows belongs to the application protocol. */
  | { state: 'complete'; header: ProxyHeader; length: number };

/** Version 1 headers are at most 107 bytes including the CRLF (the specification's bound). */
export const V1_MAX_LENGTH = 107;
/**
 * Version 2 allows up to 65,535 bytes after the fixed 16; a balancer's addresses and usual TLVs (ALPN, authority,
 * SSL details, unique id) take a few hundred. A larger length is refused rather than buffered.
 */
export const V2_MAX_LENGTH = 16 + 4096;

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

const INCOMPLETE: ProxyParse = { state: 'incomplete' };
const invalid = (reason: string): ProxyParse => ({ state: 'invalid', reason });

/** Parses the header at the start of `data` (everything received on the connection so far). */
export function parseProxyHeader(data: Buffer): ProxyParse {
  if (startsWithPrefixOf(data, V2_SIGNATURE)) return data.length < V2_SIGNATURE.length ? INCOMPLETE : parseV2(data);
  if (startsWithPrefixOf(data, V1_PREFIX)) return data.length < V1_PREFIX.length ? INCOMPLETE : parseV1(data);
  return invalid('not a PROXY protocol header');
}

/** True when `data` and `prefix` agree on their common length (an empty `data` agrees with everything). */
function startsWithPrefixOf(data: Buffer, prefix: Buffer): boolean {
  const n = Math.min(data.length, prefix.length);
  return data.subarray(0, n).equals(prefix.subarray(0, n));
}

// ---- version 1: "PROXY TCP4 192.0.2.1 198.51.100.1 56324 21\r\n" -------------------------------------------

function parseV1(data: Buffer): ProxyParse {
  const window = data.subarray(0, V1_MAX_LENGTH);
  const cr = window.indexOf(0x0d);
  const lf = window.indexOf(0x0a);
  if (lf !== -1 && (cr === -1 || lf < cr)) return invalid('version 1 header has an LF without CR');
  const tooLong = invalid(`version 1 header longer than ${V1_MAX_LENGTH} bytes`);
  if (cr === -1) return data.length >= V1_MAX_LENGTH ? tooLong : INCOMPLETE;
  if (cr + 2 > V1_MAX_LENGTH) return tooLong;
  if (cr + 1 === data.length) return INCOMPLETE;
  if (data[cr + 1] !== 0x0a) return invalid('version 1 header has a CR not followed by LF');
  const line = data.subarray(0, cr).toString('latin1');
  const length = cr + 2;
  const fields = line.split(' ');
  const protocol = fields[1];
  if (protocol === 'UNKNOWN') return { state: 'complete', header: { version: 1, tlvs: [] }, length };
  if (protocol !== 'TCP4' && protocol !== 'TCP6') return invalid(`version 1 protocol must be TCP4, TCP6 or UNKNOWN; got "${printable(protocol ?? '')}"`);
  if (fields.length !== 6) return invalid('version 1 header must be: PROXY TCP4|TCP6 source destination source-port destination-port');
  const family = protocol === 'TCP4' ? 'IPv4' : 'IPv6';
  const source = v1Endpoint(fields[2], fields[4], family);
  const destination = v1Endpoint(fields[3], fields[5], family);
  if (typeof source === 'string') return invalid(`version 1 source ${source}`);
  if (typeof destination === 'string') return invalid(`version 1 destination ${destination}`);
  return { state: 'complete', header: { version: 1, source, destination, tlvs: [] }, length };
}

/** An endpoint from its text fields, or the reason it is not one. */
function v1Endpoint(address: string, port: string, family: 'IPv4' | 'IPv6'): ProxyEndpoint | string {
  // Strict decimal: a leading zero could be read as octal by another parser ("010" is 8 to inet_aton).
  if (!/^(0|[1-9]\d{0,4})$/.test(port) || Number(port) > 65535) return `port must be 0-65535 in decimal; got "${printable(port)}"`;
  if (family === 'IPv4') {
    if (!isIPv4(address) || !/^(0|[1-9]\d*)(\.(0|[1-9]\d*)){3}$/.test(address)) {
      return `address must be a dotted IPv4 address; got "${printable(address)}"`;
    }
    return { address, port: Number(port), family };
  }
  if (!isIPv6(address) || address.includes('%')) return `address must be an IPv6 address; got "${printable(address)}"`;
  return { ...canonicalIpv6(address), port: Number(port) };
}

// ---- version 2: 12-byte signature, version/command, family/transport, length, addresses, TLVs ---------------

const FAMILY_UNSPEC = 0x0;
const FAMILY_INET = 0x1;
const FAMILY_INET6 = 0x2;
const FAMILY_UNIX = 0x3;
const TRANSPORT_STREAM = 0x1;
/** Address block sizes by family: two addresses and (for INET/INET6) two ports. */
const ADDRESS_BLOCK: Record<number, number> = { [FAMILY_UNSPEC]: 0, [FAMILY_INET]: 12, [FAMILY_INET6]: 36, [FAMILY_UNIX]: 216 };

function parseV2(data: Buffer): ProxyParse {
  if (data.length < 16) return INCOMPLETE;
  const versionCommand = data[12];
  if (versionCommand >> 4 !== 2) return invalid(`version 2 signature with version ${versionCommand >> 4}`);
  const command = versionCommand & 0x0f;
  if (command > 1) return invalid(`version 2 command must be LOCAL (0) or PROXY (1); got ${command}`);
  const family = data[13] >> 4;
  const transport = data[13] & 0x0f;
  const length = 16 + data.readUInt16BE(14);
  if (length > V2_MAX_LENGTH) return invalid(`version 2 header of ${length} bytes is above the ${V2_MAX_LENGTH} accepted`);
  if (data.length < length) return INCOMPLETE;
  const body = data.subarray(16, length);

  const block = ADDRESS_BLOCK[family];
  if (block === undefined) return invalid(`version 2 address family must be 0-3; got ${family}`);
  // LOCAL: the balancer speaking for itself; whatever follows is skipped, as the specification asks.
  if (command === 0) return { state: 'complete', header: { version: 2, tlvs: [] }, length };
  if (body.length < block) return invalid(`version 2 address block needs ${block} bytes; the header has ${body.length}`);
  const tlvs = parseTlvs(body.subarray(block));
  if (typeof tlvs === 'string') return invalid(tlvs);
  if (family === FAMILY_UNSPEC || family === FAMILY_UNIX) return { state: 'complete', header: { version: 2, tlvs }, length };
  // The control and data ports are TCP: a datagram transport on them is a misconfigured balancer.
  if (transport !== TRANSPORT_STREAM) return invalid(`version 2 transport must be STREAM (1) for TCP; got ${transport}`);
  const [source, destination] =
    family === FAMILY_INET
      ? [ipv4Endpoint(body.subarray(0, 4), body.readUInt16BE(8)), ipv4Endpoint(body.subarray(4, 8), body.readUInt16BE(10))]
      : [ipv6Endpoint(body.subarray(0, 16), body.readUInt16BE(32)), ipv6Endpoint(body.subarray(16, 32), body.readUInt16BE(34))];
  return { state: 'complete', header: { version: 2, source, destination, tlvs }, length };
}

function parseTlvs(bytes: Buffer): ProxyTlv[] | string {
  const tlvs: ProxyTlv[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 3 > bytes.length) return `version 2 TLV at byte ${offset} is cut off (${bytes.length - offset} bytes left)`;
    const type = bytes[offset];
    const size = bytes.readUInt16BE(offset + 1);
    if (offset + 3 + size > bytes.length) return `version 2 TLV 0x${type.toString(16)} of ${size} bytes runs past the header`;
    tlvs.push({ type, value: Buffer.from(bytes.subarray(offset + 3, offset + 3 + size)) });
    offset += 3 + size;
  }
  return tlvs;
}

function ipv4Endpoint(bytes: Buffer, port: number): ProxyEndpoint {
  return { address: Array.from(bytes).join('.'), port, family: 'IPv4' };
}

function ipv6Endpoint(bytes: Buffer, port: number): ProxyEndpoint {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return { ...canonicalIpv6(groups.join(':')), port };
}

/** RFC 5952 text (via the URL parser), and an IPv4-mapped address as plain IPv4 so that it compares as one. */
function canonicalIpv6(text: string): Omit<ProxyEndpoint, 'port'> {
  const address = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (mapped) {
    const high = parseInt(mapped[1], 16);
    const low = parseInt(mapped[2], 16);
    return { address: [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.'), family: 'IPv4' };
  }
  return { address, family: 'IPv6' };
}

/** For messages: a bounded, single-line rendering of untrusted text. */
function printable(text: string): string {
  const cut = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  return cut.replace(/[^\x20-\x7e]/g, '?');
}
