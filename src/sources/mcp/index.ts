/**
 * The upstream MCP tool source: one supervised stdio child or remote session per connector, shared by
 * every caller, restarted with backoff; its tools, results, progress and `list_changed` pass through.
 * The source's `peer` (an UpstreamPeer) passes resources, prompts, completions and logging through the same shared
 * connection, and hands the upstream's sampling/elicitation/roots requests to the client whose request is in flight.
 */
import type { ToolSource } from '../../core/index.js';
import { McpSource, type McpSourceOptions } from './internal/mcp-source.js';

export type { McpSourceOptions } from './internal/mcp-source.js';
export type { RestartPolicy } from './internal/supervisor.js';
export type { StdioSandboxOptions } from './internal/stdio-plan.js';

/**
 * The SDK `Client` with one guarantee added: a response is settled only after every notification received before
 * it (progress above all) has been handled. Use it wherever Toolport is an MCP client.
 *
 * @example
 * const client = new OrderedClient({ name: 'toolport-stdio', version: '1.0.0' });
 * await client.connect(transport);
 * await client.callTool({ name: 'build' }, { onprogress: (p) => relay(p), resetTimeoutOnProgress: true });
 */
export { OrderedClient } from './internal/ordered-client.js';

/**
 * Creates the ToolSource of one upstream MCP connector version. Throws ToolportError `validation_failed`
 * when the manifest has no usable `mcp` section or a `${config.KEY}` it references has no value. A stdio upstream
 * of `trust: 'tenant'` runs in the bubblewrap sandbox `sandbox` describes (refused without bubblewrap unless
 * `sandbox.allowUnsandboxed`); every stdio upstream's process group is killed on close.
 *
 * @example
 * const source = createMcpSource({ manifest, config: { token: 't' }, restart: { baseMs: 500, maxMs: 30_000 } });
 * const tenantSource = createMcpSource({
 *   manifest, config: {}, trust: 'tenant',
 *   sandbox: { scratch: '/data/scratch/acme/p1/mcp-fs', protect: ['/data'], readOnly: [], allowUnsandboxed: false },
 * });
 * const tools = await source.load();
 * const result = await source.invoke('echo', { text: 'hi' }, { onProgress: (p) => console.log(p) });
 * await source.close();
 */
export function createMcpSource(options: McpSourceOptions): ToolSource {
  return new McpSource(options);
}
