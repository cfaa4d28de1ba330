import { isIP, type LookupFunction } from 'node:net';
import {
  createError,
  createGuardedLookup,
  isPublicAddress,
  validationError,
  type ToolportError,
} from '../../core/index.js';

/** True when an IP address literal is public (the one address policy of Toolport, in core). */
export { isPublicAddress };

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

/**
 * A socket `lookup` that refuses hosts resolving to any non-public address. The socket connects to exactly
 * the checked addresses, so a DNS answer changing between check and connect cannot slip one in.
 */
export function createPublicOnlyLookup(): LookupFunction {
  return createGuardedLookup((host) => refused(host));
}
