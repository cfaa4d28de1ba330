/** What an MCP endpoint serves: one project, or one connector of it. */
export interface Endpoint {
  readonly tenantId: string;
  readonly projectId: string;
  readonly connector?: string;
}
