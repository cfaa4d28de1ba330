import { isNode, type Node } from './refs.js';

/** The connector's base URL default, derived from `servers` (3.x) or `schemes`/`host`/`basePath` (2.0). */
export interface BaseUrlPlan {
  /** Absolute http(s) URL with server variables at their defaults; absent when none can be derived. */
  url?: string;
  /** Human description for the `base_url` config key (other servers, variable choices). */
  description: string;
}

/** Derives the base URL; `origin` is where the document was read from (resolves relative server URLs). */
export function planBaseUrl(doc: Node, origin?: string): BaseUrlPlan {
  if (typeof doc.swagger === 'string') return swagger2BaseUrl(doc, origin);
  const servers = Array.isArray(doc.servers) ? doc.servers.filter(isNode) : [];
  const first = servers[0];
  if (!first || typeof first.url !== 'string')
    return { description: 'Base URL of the API (the document names no server)' };
  const notes: string[] = [];
  if (isNode(first.variables)) {
    for (const [name, variable] of Object.entries(first.variables)) {
      if (isNode(variable) && Array.isArray(variable.enum) && variable.enum.length > 1)
        notes.push(`${name}: ${variable.enum.map(String).join(' | ')}`);
    }
  }
  const others = servers.slice(1).flatMap((s) => (typeof s.url === 'string' ? [expand(s)] : []));
  if (others.length > 0) notes.push(`other servers: ${others.slice(0, 5).join(', ')}`);
  const url = absolute(expand(first), origin);
  return { ...(url ? { url } : {}), description: ['Base URL of the API', ...notes].join('; ') };
}

/** A server URL with each `{variable}` replaced by its default. */
export function expand(server: Node): string {
  const variables = isNode(server.variables) ? server.variables : {};
  return String(server.url).replace(/\{([^{}]+)\}/g, (whole, name: string) => {
    const variable = variables[name];
    return isNode(variable) && variable.default !== undefined ? String(variable.default) : whole;
  });
}

function swagger2BaseUrl(doc: Node, origin?: string): BaseUrlPlan {
  const schemes = Array.isArray(doc.schemes) ? doc.schemes.map(String) : [];
  const scheme = schemes.includes('https')
    ? 'https'
    : (schemes[0] ?? (origin ? new URL(origin).protocol.slice(0, -1) : 'https'));
  const basePath = typeof doc.basePath === 'string' ? doc.basePath : '';
  const host = typeof doc.host === 'string' ? doc.host : origin ? new URL(origin).host : undefined;
  const description = 'Base URL of the API';
  if (!host) return { description };
  const url = absolute(`${scheme}://${host}${basePath}`, undefined);
  return url ? { url, description } : { description };
}

function absolute(url: string, origin: string | undefined): string | undefined {
  if (url.includes('{')) return undefined;
  try {
    const resolved = new URL(url, origin);
    if (resolved.protocol !== 'http:' && resolved.protocol !== 'https:') return undefined;
    return resolved.href.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}
