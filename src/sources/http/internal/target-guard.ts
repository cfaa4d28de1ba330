import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { createError, type ToolportError } from '../../../core/index.js';
import { classifyAddress, isIpLiteral } from './address-policy.js';

/** Refusal for a host whose address is not public; the message names the host, never the request. */
export function targetRefused(host: string, cls: string): ToolportError {
  return createError('target_refused', `target_refused: ${host} resolves to a ${cls.replace('_', '-')} address`, {
    host,
    addressClass: cls,
  });
}

/**
 * Checks a URL host that is an IP literal. Node connects to literals without calling the
 * lookup hook, so they are judged here before the request starts. Returns null when allowed.
 */
export function checkLiteralHost(hostname: string): ToolportError | null {
  if (!isIpLiteral(hostname)) return null;
  const cls = classifyAddress(hostname);
  return cls === 'public' ? null : targetRefused(hostname, cls);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for `net.connect` that resolves every address of the host, refuses the connection
 * when any of them is not public, and hands only the checked addresses to the socket. Because
 * the socket connects to exactly what was checked, a DNS answer that changes between check and
 * connect (rebinding) cannot slip a private address in.
 */
export function createGuardedLookup(): LookupFunction {
  return ((hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0, hints: options.hints }, (err, addresses) => {
      if (err) {
        callback(err, []);
        return;
      }
      for (const entry of addresses) {
        const cls = classifyAddress(entry.address);
        if (cls !== 'public') {
          callback(targetRefused(hostname, cls) as unknown as NodeJS.ErrnoException, []);
          return;
        }
      }
      const first = addresses[0];
      if (!first) {
        callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
        return;
      }
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  }) as LookupFunction;
}
