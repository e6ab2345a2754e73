// [NETWORK] proxy_protocol and proxy_trusted: the gateway behind a TCP load balancer that sends the PROXY protocol
// header (HAProxy's send-proxy / send-proxy-v2, Tencent CLB, AWS NLB). Only the listed balancer addresses may send
// it: anyone else could claim any client address and slip past bans and per-address limits.
import { isIPv4, isIPv6 } from 'node:net';
import type { AddressRange, ProxyProtocolConfig } from './types';

export const PROXY_KEYS = ['proxy_protocol', 'proxy_trusted'] as const;

interface ProxyInput {
  enabled: boolean;
  /** proxy_trusted as written, or undefined when absent. */
  trusted?: { value: string; line: number };
}

/** The PROXY protocol settings, or undefined when off; every problem is added to `problems`, naming the key. */
export function resolveProxyProtocol(
  input: ProxyInput,
  problems: string[],
  warnings: string[],
): ProxyProtocolConfig | undefined {
  const text = input.trusted?.value.trim() ?? '';
  if (!input.enabled) {
    if (text) warnings.push(`[NETWORK] proxy_trusted (line ${input.trusted?.line}) is ignored: proxy_protocol is off`);
    return undefined;
  }
  if (text === '') {
    problems.push(
      '[NETWORK] proxy_trusted is required when proxy_protocol = on: the load balancer addresses allowed to send ' +
        'the PROXY header, e.g. proxy_trusted = 10.0.0.5, 10.0.1.0/24',
    );
    return undefined;
  }
  const trusted: AddressRange[] = [];
  for (const item of text.split(/[\s,]+/).filter(Boolean)) {
    const range = parseAddressRange(item);
    if (typeof range === 'string') problems.push(`[NETWORK] proxy_trusted ${range} (line ${input.trusted?.line})`);
    else trusted.push(range);
  }
  return trusted.length > 0 ? { trusted } : undefined;
}

/** `10.0.0.5`, `10.0.0.0/8`, `fd00::/8`, `::1`; or the reason it is not one. */
export function parseAddressRange(text: string): AddressRange | string {
  const [address, prefixText, extra] = text.split('/');
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) && !address.includes('%') ? 'ipv6' : undefined;
  if (!family || extra !== undefined) return `entries must be IP addresses or address/prefix ranges; got "${text}"`;
  const bits = family === 'ipv4' ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: bits, family };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
    return `prefix length of "${text}" must be 0-${bits}`;
  }
  const prefix = Number(prefixText);
  // Trusting every address means every client can claim to be any other.
  if (prefix === 0) return `"${text}" would trust every address; list the load balancers' addresses`;
  return { address, prefix, family };
}

/** `10.0.0.0/8`, or a single address without its full-length prefix. */
export function formatAddressRange(range: AddressRange): string {
  return range.prefix === (range.family === 'ipv4' ? 32 : 128) ? range.address : `${range.address}/${range.prefix}`;
}
