import { createError } from '../../core/index.js';
import { derefObject, isNode, type Node } from './refs.js';

/** A config key of the generated manifest (raw manifest shape). */
export interface RawConfigKey {
  description?: string;
  secret?: boolean;
  required?: boolean;
  default?: string;
}

/** The connector auth chosen from the document's security schemes. */
export interface AuthPlan {
  auth: Record<string, unknown>;
  config: Record<string, RawConfigKey>;
  /** The scheme used, when one was. */
  scheme?: string;
  /** An apiKey parameter the auth supplies (operations do not ask for it again). */
  supplies?: { in: string; name: string };
}

const NONE: AuthPlan = { auth: { type: 'none' }, config: {} };

/**
 * Picks one security scheme (the preferred one, else the first supported one the document requires,
 * else the first supported one declared) and maps it onto the manifest's auth with secrets as required config.
 */
export function planAuth(
  doc: Node,
  baseUrl: string | undefined,
  warn: (m: string) => void,
  preferred?: string,
): AuthPlan {
  const swagger2 = typeof doc.swagger === 'string';
  const schemes = isNode(doc.securityDefinitions)
    ? doc.securityDefinitions
    : isNode(doc.components) && isNode(doc.components.securitySchemes)
      ? doc.components.securitySchemes
      : {};
  const requirements = Array.isArray(doc.security) ? doc.security.filter(isNode) : [];
  // Scopes of the top-level requirement naming the scheme; without one, every scope operations ask for with it.
  const scopesOf = (name: string): string[] => {
    for (const req of requirements) {
      const scopes = req[name];
      if (Array.isArray(scopes)) return scopes.filter((s): s is string => typeof s === 'string');
    }
    const union = new Set<string>();
    for (const req of operationRequirements(doc)) {
      const scopes = req[name];
      if (Array.isArray(scopes)) for (const s of scopes) if (typeof s === 'string') union.add(s);
    }
    return [...union];
  };
  if (preferred !== undefined) {
    const scheme = derefObject(doc, schemes[preferred]);
    const plan = scheme && mapScheme(scheme, swagger2, baseUrl, scopesOf(preferred));
    if (!plan)
      throw createError('validation_failed', `security scheme '${preferred}' is not declared or not supported`, {
        pointer: '/auth',
      });
    return { ...plan, scheme: preferred };
  }
  const order = [...new Set([...requirements.flatMap((r) => Object.keys(r)), ...Object.keys(schemes)])];
  const unsupported: string[] = [];
  for (const name of order) {
    const scheme = derefObject(doc, schemes[name]);
    if (!scheme) continue;
    const plan = mapScheme(scheme, swagger2, baseUrl, scopesOf(name));
    if (plan) {
      if (unsupported.length > 0) warn(`security schemes not supported, not used: ${unsupported.join(', ')}`);
      return { ...plan, scheme: name };
    }
    unsupported.push(`${name} (${describe(scheme)})`);
  }
  if (unsupported.length > 0)
    warn(`no supported security scheme; the connector has no auth (unsupported: ${unsupported.join(', ')})`);
  return NONE;
}

function operationRequirements(doc: Node): Node[] {
  const out: Node[] = [];
  for (const item of Object.values(isNode(doc.paths) ? doc.paths : {})) {
    const pathItem = derefObject(doc, item);
    for (const operation of Object.values(pathItem ?? {})) {
      if (isNode(operation) && Array.isArray(operation.security)) out.push(...operation.security.filter(isNode));
    }
  }
  return out;
}

// RFC 9110 token: what the manifest validator accepts as a header name.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** An apiKey scheme sent in a header whose name no HTTP request can carry (some documents put a label there). */
function badHeaderName(scheme: Node): boolean {
  return scheme.in === 'header' && typeof scheme.name === 'string' && !HEADER_NAME.test(scheme.name);
}

function describe(scheme: Node): string {
  if (scheme.type === 'apiKey' && badHeaderName(scheme))
    return `apiKey header '${String(scheme.name).slice(0, 100)}' is not a valid HTTP header name`;
  return [scheme.type, scheme.scheme, scheme.flow].filter((v) => typeof v === 'string').join(' ');
}

function mapScheme(
  scheme: Node,
  swagger2: boolean,
  baseUrl: string | undefined,
  scopes: string[],
): AuthPlan | undefined {
  const type = typeof scheme.type === 'string' ? scheme.type : '';
  const note = typeof scheme.description === 'string' ? ` — ${firstLine(scheme.description)}` : '';
  if (
    type === 'apiKey' &&
    typeof scheme.name === 'string' &&
    ['header', 'query', 'cookie'].includes(String(scheme.in)) &&
    !badHeaderName(scheme)
  ) {
    const where = String(scheme.in);
    return {
      auth: { type: 'api_key', in: where, name: scheme.name, value: '${config.api_key}' },
      config: {
        api_key: { description: `API key sent as ${where} '${scheme.name}'${note}`, secret: true, required: true },
      },
      supplies: { in: where, name: scheme.name },
    };
  }
  const httpScheme = type === 'http' && typeof scheme.scheme === 'string' ? scheme.scheme.toLowerCase() : undefined;
  if (httpScheme === 'bearer') {
    return {
      auth: { type: 'bearer', token: '${config.token}' },
      config: { token: { description: `Bearer token${note}`, secret: true, required: true } },
    };
  }
  if (httpScheme === 'basic' || type === 'basic') {
    return {
      auth: { type: 'basic', username: '${config.username}', password: '${config.password}' },
      config: {
        username: { description: `HTTP basic user name${note}`, required: true },
        password: { description: 'HTTP basic password', secret: true, required: true },
      },
    };
  }
  if (type === 'oauth2') {
    const flow = swagger2
      ? scheme.flow === 'application'
        ? scheme
        : undefined
      : isNode(scheme.flows) && isNode(scheme.flows.clientCredentials)
        ? scheme.flows.clientCredentials
        : undefined;
    const tokenUrl = flow && typeof flow.tokenUrl === 'string' ? absoluteUrl(flow.tokenUrl, baseUrl) : undefined;
    if (!tokenUrl) return undefined;
    return {
      auth: {
        type: 'oauth2_client_credentials',
        token_url: '${config.token_url}',
        client_id: '${config.client_id}',
        client_secret: '${config.client_secret}',
        scopes,
      },
      config: {
        // A config key (default: the document's) so a deployment can use another token endpoint (a sandbox).
        token_url: { description: 'OAuth2 token endpoint (client credentials flow)', default: tokenUrl },
        client_id: { description: `OAuth2 client id${note}`, secret: true, required: true },
        client_secret: { description: 'OAuth2 client secret', secret: true, required: true },
      },
    };
  }
  return undefined;
}

function absoluteUrl(url: string, base: string | undefined): string | undefined {
  try {
    const resolved = new URL(url, base);
    return resolved.protocol === 'http:' || resolved.protocol === 'https:' ? resolved.href : undefined;
  } catch {
    return undefined;
  }
}

function firstLine(text: string): string {
  const line = text.split('\n')[0]?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
