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

/** Resolves a bearer token (without the `Bearer ` prefix) to a principal, or null when unknown/revoked. */
export type Authenticate = (token: string, tenantHeader?: string) => Promise<Principal | null>;
