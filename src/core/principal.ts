/**
 * Who a connector's content was admitted for. `operator` content (installed with the admin token or an operator
 * key) may use the host's powers the operator configured; `tenant` content runs inside the operator's limits only.
 */
export type Trust = 'operator' | 'tenant';

/** Scopes a caller can hold. `admin` manages the tenant's objects; `invoke` calls tools and connects over MCP. */
export type Scope = 'admin' | 'invoke';

/** The authenticated caller of a request, resolved from its bearer token. */
export interface Principal {
  /** The tenant the caller acts in. */
  tenantId: string;
  scopes: readonly Scope[];
  /** True for the operator's admin token (manages tenants; may act in any tenant via `X-Tenant-Id`). */
  isOperator: boolean;
  /** The API key id, when authenticated by a key. */
  keyId?: string;
}

/** The trust level of content a principal installs. */
export function trustOf(principal: Pick<Principal, 'isOperator'>): Trust {
  return principal.isOperator ? 'operator' : 'tenant';
}

/** Resolves a bearer token (without the `Bearer ` prefix) to a principal, or null when unknown/revoked. */
export type Authenticate = (token: string, tenantHeader?: string) => Promise<Principal | null>;
