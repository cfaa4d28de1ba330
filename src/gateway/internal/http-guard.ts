import type { IncomingHttpHeaders } from 'node:http';
import { validateHostHeader } from '@modelcontextprotocol/server';

/** Hostnames accepted by default: the loopback names, with any port. */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = ['127.0.0.1', 'localhost', '[::1]'];

/** Why a request was refused by the DNS-rebinding checks. */
export interface GuardRejection {
  reason: 'invalid_host' | 'invalid_origin';
  message: string;
}

/**
 * DNS-rebinding protection: the `Host` header must name an allowed host (any port) and an `Origin` header, when a
 * browser sends one, an allowed origin. `*` in a list allows everything (for deployments behind a proxy).
 */
export function createHostGuard(options: {
  allowedHosts?: readonly string[];
  allowedOrigins?: readonly string[];
}): (headers: IncomingHttpHeaders) => GuardRejection | undefined {
  const hosts = [...(options.allowedHosts ?? DEFAULT_ALLOWED_HOSTS)].map((h) => h.toLowerCase());
  const anyHost = hosts.includes('*');
  const origins = options.allowedOrigins ?? hosts;
  const anyOrigin = origins.includes('*');
  // An entry with a scheme is an exact origin (`https://app.example.com`); a bare entry is a hostname, any scheme/port.
  const exactOrigins = new Set(
    origins.filter((o) => o.includes('://')).map((o) => o.toLowerCase().replace(/\/+$/, '')),
  );
  const originHosts = new Set(origins.filter((o) => !o.includes('://')).map((o) => o.toLowerCase()));

  return (headers) => {
    if (!anyHost) {
      const result = validateHostHeader(headers.host, hosts);
      if (!result.ok) return { reason: 'invalid_host', message: 'Host header is not allowed' };
    }
    const origin = headers.origin;
    if (origin === undefined || origin === '' || anyOrigin) return undefined;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return { reason: 'invalid_origin', message: 'Origin header is not allowed' };
    }
    if (url.origin === 'null') return { reason: 'invalid_origin', message: 'Origin header is not allowed' };
    if (exactOrigins.has(url.origin.toLowerCase()) || originHosts.has(url.hostname.toLowerCase())) return undefined;
    // IPv6 hostnames come back bracketed from URL; allow lists may name them either way.
    if (originHosts.has(url.hostname.replace(/^\[|\]$/g, ''))) return undefined;
    return { reason: 'invalid_origin', message: 'Origin header is not allowed' };
  };
}
