import type { LookupFunction } from 'node:net';
import {
  classifyAddress,
  createError,
  createGuardedLookup,
  isIpLiteral,
  type ToolportError,
} from '../../../core/index.js';

/** Refusal for a host whose address is not public; the message names the host, never the request. */
export function targetRefused(host: string, cls: string): ToolportError {
  const hint = 'loopback/private targets are refused unless the operator sets TOOLPORT_ALLOW_PRIVATE_NETWORKS=1';
  return createError(
    'target_refused',
    `target_refused: ${host} resolves to a ${cls.replace('_', '-')} address (${hint})`,
    {
      host,
      addressClass: cls,
    },
  );
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

/** The socket `lookup` of HTTP connectors: refuses hosts that resolve to any non-public address. */
export function createTargetLookup(): LookupFunction {
  return createGuardedLookup(targetRefused);
}
