// Whether a peer is one of the configured load balancers (proxy_trusted).
import { BlockList } from 'node:net';
import type { AddressRange } from '../../config/types';

export type TrustCheck = (peer: string | undefined) => boolean;

export function trustedPeers(ranges: AddressRange[]): TrustCheck {
  const list = new BlockList();
  for (const r of ranges) list.addSubnet(r.address, r.prefix, r.family);
  return (peer) => {
    if (!peer) return false;
    // A dual-stack listener shows IPv4 peers as ::ffff:a.b.c.d; the list is written in plain IPv4.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(peer);
    if (mapped) return list.check(mapped[1], 'ipv4');
    return list.check(peer, peer.includes(':') ? 'ipv6' : 'ipv4');
  };
}
