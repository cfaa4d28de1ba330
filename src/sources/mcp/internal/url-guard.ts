import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { createError } from '../../../core/index.js';

// Addresses a remote upstream may not resolve to unless the operator allows private networks: the same
// classes the HTTP runtime refuses (loopback, private, link-local, CGNAT, unspecified, multicast, reserved).
const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv6');
}

/** True when `address` (an IP literal) is loopback, private, link-local or otherwise not a public address. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family === 6) {
    // IPv4-mapped IPv6 (::ffff:a.b.c.d) must be judged as the IPv4 address it is.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1]) return BLOCKED.check(mapped[1], 'ipv4');
    return BLOCKED.check(address, 'ipv6');
  }
  return true;
}

/**
 * Refuses (`target_refused`) a URL whose host is or resolves to a non-public address. The check runs at
 * connect time; a remote upstream is a long-lived session, so there is no per-request DNS to pin.
 */
export async function assertPublicUrl(url: URL): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  if (addresses.some(isBlockedAddress)) {
    throw createError(
      'target_refused',
      `upstream ${url.host} is a loopback/private address; set TOOLPORT_ALLOW_PRIVATE_NETWORKS=1 to allow it`,
    );
  }
}
