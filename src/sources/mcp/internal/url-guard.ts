import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { createError, createGuardedLookup, isPublicAddress } from '../../../core/index.js';

/** True when `address` (an IP literal) is loopback, private, link-local or otherwise not a public address. */
export function isBlockedAddress(address: string): boolean {
  return !isPublicAddress(address);
}

function refused(host: string): Error {
  return createError(
    'target_refused',
    `upstream ${host} is a loopback/private address; set TOOLPORT_ALLOW_PRIVATE_NETWORKS=1 to allow it`,
  );
}

/**
 * The socket `lookup` of remote upstreams: every connection resolves once, every answer is checked, and the socket
 * connects only to the checked addresses — the check before connecting ({@link assertPublicUrl}) gives a clear
 * early error, this one closes the window a changed DNS answer (rebinding) would open.
 */
export const refusingLookup = createGuardedLookup((host) => refused(host));

/**
 * Refuses (`target_refused`) a URL whose host is or resolves to a non-public address, before connecting. Sockets
 * are guarded again by {@link refusingLookup}, so a later, different answer cannot slip through.
 */
export async function assertPublicUrl(url: URL): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  if (addresses.some(isBlockedAddress)) {
    throw refused(url.host);
  }
}
