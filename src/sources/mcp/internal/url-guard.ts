import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { createError, isPublicAddress } from '../../../core/index.js';

/** True when `address` (an IP literal) is loopback, private, link-local or otherwise not a public address. */
export function isBlockedAddress(address: string): boolean {
  return !isPublicAddress(address);
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
