/**
 * Where a connector lives: its tenant, its project and its name. Interfaces that act on one connector take it as
 * their leading parameters, spelled once here as a labeled tuple: `getConnector(...connector: ConnectorAddress)`
 * or, with more parameters after it, `setEnabled(...args: [...ConnectorAddress, enabled: boolean])`. Callers and
 * implementations still read and write three plain parameters.
 */
export type ConnectorAddress = [tenantId: string, projectId: string, name: string];
