/**
 * Gateway: the MCP server side. Streamable HTTP (2025-11-25 sessions and 2026-07-28 per-request), legacy
 * HTTP+SSE and stdio, serving a ToolProvider's snapshots with DNS-rebinding checks, idle expiry and body limits.
 */
export { createGateway } from './gateway.js';
export type { Gateway, GatewayOptions } from './gateway.js';
export { serveProjectStdio } from './stdio.js';
export type { StdioServeOptions } from './stdio.js';
export { buildClientConfig, API_KEY_PLACEHOLDER } from './client-config.js';
export type { ClientConfig, ClientConfigOptions, CommandEntry } from './client-config.js';
