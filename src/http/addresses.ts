// Who is asking: the connection's address, or — when the connection comes from a proxy the
// operator trusts (TRUST_PROXY) — the nearest address in X-Forwarded-For that is not such a proxy.
// A client can write anything in X-Forwarded-For; only the hops our proxies appended are believed.
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

export interface AddressSet {
  has(address: string): boolean;
}

/** Addresses and CIDRs, IPv4 or IPv6 (an IPv4-mapped IPv6 address counts as its IPv4). */
export function addressSet(items: readonly string[]): AddressSet {
  const list = new BlockList();
  for (const item of items) {
    const [address = '', bits] = item.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (!isIP(address)) throw new Error(`not an address: ${item}`);
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return {
    has(address) {
      const plain = unmapped(address);
      const family = isIP(plain);
      return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
    },
  };
}

const unmapped = (address: string) => (address.startsWith('::ffff:') ? address.slice(7) : address);

export function clientAddress(req: IncomingMessage, trustedProxies: AddressSet | undefined): string {
  const peer = unmapped(req.socket.remoteAddress ?? '');
  if (!trustedProxies?.has(peer)) return peer;
  const forwarded = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? ''))
    .split(',')
    .map((hop) => bare(hop.trim()));
  // Right to left: the last hop was appended by the proxy that connected to us, and so on; the
  // first that is not one of our proxies is the client. Left of it, anyone may have written anything.
  let nearest = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] ?? '';
    if (!isIP(hop)) return nearest;
    if (!trustedProxies.has(hop)) return hop;
    nearest = hop;
  }
  // Every hop is one of our proxies: the farthest of them is the nearest thing to a client.
  return nearest;
}

/** A hop as proxies write it: `192.0.2.1`, `192.0.2.1:5123`, `[2001:db8::1]:443`, `2001:db8::1`. */
function bare(hop: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed) return unmapped(bracketed[1] ?? '');
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(hop);
  return unmapped(withPort ? (withPort[1] ?? '') : hop);
}
