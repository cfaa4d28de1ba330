import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { classifyAddress, type AddressClass } from './address-policy.js';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for sockets that resolves every address of a host, refuses the connection when any of them is not
 * public (with the error `refuse` builds), and hands only the checked addresses to the socket. Because the socket
 * connects to exactly what was checked, a DNS answer that changes between check and connect (rebinding) cannot
 * slip a private address in. Shared by every outbound path: HTTP connectors, webhooks, remote MCP upstreams.
 */
export function createGuardedLookup(refuse: (host: string, cls: AddressClass) => Error): LookupFunction {
  return ((hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0, hints: options.hints }, (err, addresses) => {
      if (err) {
        callback(err, []);
        return;
      }
      for (const entry of addresses) {
        const cls = classifyAddress(entry.address);
        if (cls !== 'public') {
          callback(refuse(hostname, cls) as NodeJS.ErrnoException, []);
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
