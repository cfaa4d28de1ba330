import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { createError, validationError, type ToolportError } from '../../core/index.js';

// The same ranges HTTP connectors may not reach by default: loopback, private, CGNAT, link-local,
// unspecified, multicast and reserved space. None is a legitimate public webhook receiver.
const blocked = new BlockList();
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
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');

/** The IPv4 address embedded in an IPv4-mapped/compatible IPv6 address (`::ffff:7f00:1`), if any. */
function embeddedV4(address: string): string | undefined {
  const match = /^::(?:ffff:)?(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (!match) return undefined;
  if (match[1]) return match[1];
  const hi = parseInt(match[2]!, 16);
  const lo = parseInt(match[3]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** True when an IP address literal is public (not loopback, private, link-local or reserved). */
export function isPublicAddress(address: string): boolean {
  const text = (address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address).split('%')[0] ?? '';
  const family = isIP(text);
  if (family === 4) return !blocked.check(text, 'ipv4');
  if (family === 6) {
    const v4 = embeddedV4(text);
    if (v4 !== undefined && isIP(v4) === 4) return !blocked.check(v4, 'ipv4');
    return !blocked.check(text, 'ipv6');
  }
  return false;
}

function refused(host: string): ToolportError {
  return createError(
    'target_refused',
    `webhook target ${host} is a loopback/private address; set TOOLPORT_ALLOW_PRIVATE_NETWORKS=1 to allow it`,
    { host },
  );
}

/**
 * Checks a webhook target URL when it is registered: http(s), no credentials, and — unless private networks
 * are allowed — no loopback/private host literal. DNS names are checked again at delivery time.
 */
export function checkWebhookUrl(raw: unknown, allowPrivateNetworks: boolean): URL {
  if (typeof raw !== 'string' || raw.length > 2048) {
    throw validationError('webhook url is invalid', [
      { pointer: '/url', message: 'must be an http(s) URL of at most 2048 characters' },
    ]);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw validationError('webhook url is invalid', [{ pointer: '/url', message: 'is not an absolute URL' }]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw validationError('webhook url is invalid', [{ pointer: '/url', message: 'must use http or https' }]);
  }
  if (url.username || url.password) {
    throw validationError('webhook url is invalid', [
      { pointer: '/url', message: 'must not embed credentials; the signature authenticates deliveries' },
    ]);
  }
  if (!allowPrivateNetworks) {
    const host = url.hostname;
    const literal = isIP(host.replace(/^\[|\]$/g, '')) !== 0;
    if ((literal && !isPublicAddress(host)) || host === 'localhost' || host.endsWith('.localhost')) throw refused(host);
  }
  return url;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A socket `lookup` that refuses hosts resolving to any non-public address. The socket connects to exactly
 * the checked addresses, so a DNS answer changing between check and connect cannot slip one in.
 */
export function createPublicOnlyLookup(): LookupFunction {
  return ((hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0, hints: options.hints }, (err, addresses) => {
      if (err) return callback(err, []);
      if (addresses.length === 0 || addresses.some((a) => !isPublicAddress(a.address))) {
        return callback(refused(hostname) as unknown as NodeJS.ErrnoException, []);
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  }) as LookupFunction;
}
