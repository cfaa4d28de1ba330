import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  createError,
  createId,
  createToken,
  isoTime,
  isSlug,
  sha256,
  type Authenticate,
  type Clock,
  type Logger,
  type Principal,
  type Scope,
} from '../../core/index.js';
import type { ApiKeyRecord, ApiKeyScope, Store } from '../../store/store.js';

/** What a route needs from its caller. `read` = admin or invoke; `any` = any valid token. */
export type RouteScope = 'operator' | 'admin' | 'invoke' | 'read' | 'any';

/** Per-route config the auth hook reads. `public` routes need no token. */
export interface RouteAuthConfig {
  scope?: RouteScope;
  public?: boolean;
}

/** API keys look like `tp_<43 base64url chars>`; the prefix shown in listings is this long. */
const KEY_PREFIX = 'tp';
const SHOWN_PREFIX_LENGTH = 10;
/** last_used_at is written at most this often per key: a store write per request would be the hot path. */
const TOUCH_INTERVAL_MS = 60_000;

/** Options of `createAuthenticate`. */
export interface AuthenticateOptions {
  store: Store;
  adminToken: string;
  logger: Logger;
  clock: Clock;
}

/** How long a resolved API key (or tenant) is trusted without asking the store again. */
const KEY_CACHE_MS = 5_000;
const KEY_CACHE_MAX = 10_000;

/** Token resolution plus a way to drop cached keys when one is revoked or a tenant deleted. */
export type CachingAuthenticate = Authenticate & { forgetKeys(): void };

/**
 * Resolves bearer tokens: the operator's admin token (constant-time compare) or a tenant API key (by hash).
 * Resolved keys and tenants are cached for a few seconds so the MCP call path does not read the store per
 * request; a revoke on this node clears the cache at once, other nodes see it within KEY_CACHE_MS.
 */
export function createAuthenticate({ store, adminToken, logger, clock }: AuthenticateOptions): CachingAuthenticate {
  const adminDigest = Buffer.from(sha256(adminToken), 'hex');
  const lastTouched = new Map<string, number>();
  const keys = new Map<string, { key: ApiKeyRecord | null; at: number }>();
  const tenants = new Map<string, number>();
  const lookupKey = async (digest: string): Promise<ApiKeyRecord | null> => {
    const now = clock.now();
    const hit = keys.get(digest);
    if (hit && now - hit.at < KEY_CACHE_MS) return hit.key;
    const key = await store.getApiKeyByHash(digest);
    // Unknown tokens are not cached: guessing must not fill the cache.
    if (key) {
      if (keys.size >= KEY_CACHE_MAX) keys.clear();
      keys.set(digest, { key, at: now });
    } else keys.delete(digest);
    return key;
  };
  const tenantExists = async (id: string): Promise<boolean> => {
    const now = clock.now();
    if (now - (tenants.get(id) ?? -Infinity) < KEY_CACHE_MS) return true;
    if (!(await store.getTenant(id))) return false;
    if (tenants.size >= KEY_CACHE_MAX) tenants.clear();
    tenants.set(id, now);
    return true;
  };

  const touch = (key: ApiKeyRecord): void => {
    const now = clock.now();
    const last = lastTouched.get(key.id) ?? (key.last_used_at ? Date.parse(key.last_used_at) : 0);
    if (now - last < TOUCH_INTERVAL_MS) return;
    lastTouched.set(key.id, now);
    // Fire and forget: a failed touch must not fail the request it rides on.
    store.touchApiKey(key.id, isoTime(now)).catch((err: unknown) => {
      logger.warn(
        { key_id: key.id, err: err instanceof Error ? err.message : String(err) },
        'could not record API key use',
      );
    });
  };

  const authenticate: Authenticate = async (token, tenantHeader) => {
    if (token === '') return null;
    const digest = sha256(token);
    // Comparing digests keeps the comparison constant-time regardless of the token's length.
    // The operator acts in `default`, or in the tenant X-Tenant-Id names.
    const asOperator = async (home: string, keyId?: string): Promise<Principal> => {
      const requested = tenantHeader?.trim();
      const base = { scopes: ['admin', 'invoke'] as Scope[], isOperator: true, ...(keyId ? { keyId } : {}) };
      if (!requested) return { tenantId: home, ...base };
      if (!isSlug(requested) || !(await tenantExists(requested))) {
        throw createError('not_found', 'The tenant named by X-Tenant-Id does not exist.', { header: 'x-tenant-id' });
      }
      return { tenantId: requested, ...base };
    };
    if (adminToken !== '' && timingSafeEqual(Buffer.from(digest, 'hex'), adminDigest)) return asOperator('default');
    if (!token.startsWith(`${KEY_PREFIX}_`)) return null;
    const key = await lookupKey(digest);
    if (!key || key.revoked_at !== null) return null;
    touch(key);
    // A key the operator marked `operator` carries the admin token's powers (see docs/security.md).
    if (key.scopes.includes('operator')) return asOperator(key.tenant_id, key.id);
    const scopes = key.scopes.filter((s): s is Scope => s !== 'operator');
    return { tenantId: key.tenant_id, scopes, isOperator: false, keyId: key.id };
  };
  return Object.assign(authenticate, {
    forgetKeys: () => {
      keys.clear();
      tenants.clear();
    },
  });
}

/** A new API key: the record to store and the key itself, shown to the caller once. */
export function generateApiKey(
  tenantId: string,
  name: string,
  scopes: ApiKeyScope[],
  now: number,
): { record: ApiKeyRecord; key: string } {
  const key = createToken(KEY_PREFIX);
  const record: ApiKeyRecord = {
    id: createId('key'),
    tenant_id: tenantId,
    name,
    prefix: key.slice(0, SHOWN_PREFIX_LENGTH),
    hash: sha256(key),
    scopes: [...new Set(scopes)],
    created_at: isoTime(now),
    last_used_at: null,
    revoked_at: null,
  };
  return { record, key };
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function parseBearer(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1] ?? null;
}

const principals = new WeakMap<FastifyRequest, Principal>();

/** The principal the auth hook resolved for this request; throws when the route is public. */
export function getPrincipal(request: FastifyRequest): Principal {
  const principal = principals.get(request);
  if (!principal) throw createError('internal', 'No principal on an authenticated route.');
  return principal;
}

/** The principal of this request, or undefined when it was not (or not yet) authenticated. */
export function peekPrincipal(request: FastifyRequest): Principal | undefined {
  return principals.get(request);
}

function allows(principal: Principal, scope: RouteScope): boolean {
  const has = (s: Scope): boolean => principal.scopes.includes(s);
  switch (scope) {
    case 'operator':
      return principal.isOperator;
    case 'admin':
      return has('admin');
    case 'invoke':
      return has('invoke');
    case 'read':
      return has('admin') || has('invoke');
    case 'any':
      return true;
  }
}

/** An onRequest hook: resolves the bearer token, checks the route's scope and, for project routes, the project. */
export function createAuthHook(
  authenticate: Authenticate,
  store: Store,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request) => {
    const config = (request.routeOptions.config ?? {}) as RouteAuthConfig;
    if (config.public) return;
    const token = parseBearer(request.headers.authorization);
    if (!token) {
      throw createError(
        'unauthorized',
        'Missing bearer token: send Authorization: Bearer <API key or admin token>. Create a key with ' +
          '`toolport keys create` or POST /v1/api-keys; the admin token is printed when the server starts.',
      );
    }
    const tenantHeader = request.headers['x-tenant-id'];
    const principal = await authenticate(token, typeof tenantHeader === 'string' ? tenantHeader : undefined);
    if (!principal) throw createError('unauthorized', 'The bearer token is unknown or revoked.');
    principals.set(request, principal);
    const scope = config.scope ?? 'admin';
    if (!allows(principal, scope)) {
      const need =
        scope === 'operator'
          ? 'the operator admin token'
          : scope === 'read'
            ? "scope 'admin' or 'invoke'"
            : `scope '${scope}'`;
      throw createError('forbidden', `This action needs ${need}.`, { required: scope });
    }
    // Every project route is tenant-scoped here, once, so no handler can forget it:
    // another tenant's project is indistinguishable from a missing one.
    const projectId = (request.params as Record<string, string | undefined> | undefined)?.project_id;
    if (projectId !== undefined && !(isSlug(projectId) && (await store.getProject(principal.tenantId, projectId)))) {
      throw createError('not_found', `Project '${truncate(projectId)}' not found.`);
    }
  };
}

function truncate(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}…` : value;
}

declare module 'fastify' {
  // Route config read by the auth hook (declared so route definitions type-check with any plugin loaded).
  interface FastifyContextConfig {
    public?: boolean;
    scope?: RouteScope;
  }
}
