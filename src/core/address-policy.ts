import { isIP } from 'node:net';

/** Why an address may not be reached by default; `public` addresses are always allowed. */
export type AddressClass = 'public' | 'loopback' | 'private' | 'link_local' | 'unspecified' | 'reserved' | 'invalid';

/** One IPv4 range: base address as a 32-bit number, prefix length, class. */
type V4Range = readonly [base: number, prefix: number, cls: AddressClass];

// Ranges a connector may not reach unless the operator allows private networks. Beyond the
// classic loopback/private/link-local sets this includes 0/8, CGNAT, multicast and reserved
// space: none of them is a legitimate public API endpoint, and several reach local services.
const V4_RANGES: readonly V4Range[] = [
  [v4(0, 0, 0, 0), 8, 'unspecified'],
  [v4(10, 0, 0, 0), 8, 'private'],
  [v4(100, 64, 0, 0), 10, 'private'],
  [v4(127, 0, 0, 0), 8, 'loopback'],
  [v4(169, 254, 0, 0), 16, 'link_local'],
  [v4(172, 16, 0, 0), 12, 'private'],
  [v4(192, 0, 0, 0), 24, 'reserved'],
  [v4(192, 168, 0, 0), 16, 'private'],
  [v4(198, 18, 0, 0), 15, 'reserved'],
  [v4(224, 0, 0, 0), 4, 'reserved'],
  [v4(240, 0, 0, 0), 4, 'reserved'],
];

function v4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function parseV4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

function classifyV4(value: number): AddressClass {
  for (const [base, prefix, cls] of V4_RANGES) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    if ((value & mask) >>> 0 === base) return cls;
  }
  return 'public';
}

/** Parses an IPv6 address (zone id and embedded IPv4 tail allowed) into eight 16-bit groups. */
function parseV6(text: string): number[] | undefined {
  let head = text.split('%')[0] ?? '';
  const lastColon = head.lastIndexOf(':');
  if (head.includes('.', lastColon)) {
    // Rewrite an embedded IPv4 tail (::ffff:1.2.3.4) as two hex groups, then parse uniformly.
    const ipv4 = parseV4(head.slice(lastColon + 1));
    if (ipv4 === undefined) return undefined;
    head = `${head.slice(0, lastColon + 1)}${(ipv4 >>> 16).toString(16)}:${(ipv4 & 0xffff).toString(16)}`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
      groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const left = toGroups(halves[0] ?? '');
  const right = halves.length === 2 ? toGroups(halves[1] ?? '') : [];
  if (!left || !right) return undefined;
  const explicit = left.length + right.length;
  if (halves.length === 1) return explicit === 8 ? left : undefined;
  if (explicit > 7) return undefined;
  return [...left, ...new Array<number>(8 - explicit).fill(0), ...right];
}

function classifyV6(groups: number[]): AddressClass {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  const embedded = ((g6 << 16) | g7) >>> 0;
  const upperZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (upperZero && g5 === 0 && g6 === 0) {
    if (g7 === 0) return 'unspecified';
    if (g7 === 1) return 'loopback';
  }
  // IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible (::a.b.c.d) forms reach
  // the embedded IPv4 address, so they are judged by it.
  if (upperZero && (g5 === 0xffff || g5 === 0)) return classifyV4(embedded);
  // NAT64 (64:ff9b::/96) likewise translates to the embedded IPv4 address.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return classifyV4(embedded);
  if ((g0 & 0xfe00) === 0xfc00) return 'private';
  if ((g0 & 0xffc0) === 0xfe80) return 'link_local';
  // fec0::/10 (deprecated site-local) and ff00::/8 (multicast).
  if ((g0 & 0xffc0) === 0xfec0 || (g0 & 0xff00) === 0xff00) return 'reserved';
  return 'public';
}

/**
 * Classifies an IP address literal (IPv4, IPv6, bracketed IPv6, IPv4-mapped) by the ranges
 * an HTTP connector may reach. Anything that does not parse is `invalid` (and refused).
 */
export function classifyAddress(address: string): AddressClass {
  const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(text.split('%')[0] ?? '');
  if (family === 4) {
    const value = parseV4(text);
    return value === undefined ? 'invalid' : classifyV4(value);
  }
  if (family === 6) {
    const groups = parseV6(text);
    return groups === undefined ? 'invalid' : classifyV6(groups);
  }
  return 'invalid';
}

/** True when `address` is an IP literal (bracketed IPv6 allowed). */
export function isIpLiteral(address: string): boolean {
  const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  return isIP(text.split('%')[0] ?? '') !== 0;
}

/** True when `address` (an IP literal, brackets and zone allowed) is a public address. */
export function isPublicAddress(address: string): boolean {
  const text = (address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address).split('%')[0] ?? '';
  return classifyAddress(text) === 'public';
}
