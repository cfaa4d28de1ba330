// The ceiling column of bench/gateway.mjs: the `echo` tool in process behind a bare SDK v1 server (McpServer +
// StreamableHTTPServerTransport, one transport per session) on node:http. No stdio hop, no auth, no validation
// beyond the SDK's own: what an MCP server costs over HTTP when the tool runs in the same process.
// Usage: node bench/sdk-server.mjs PORT
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const port = Number(process.argv[2]);
const transports = new Map();

function newServer() {
  const server = new McpServer({ name: 'bench-sdk-ceiling', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echoes its text', inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  return server;
}

createServer((req, res) => {
  let chunks = '';
  req.setEncoding('utf8');
  req.on('data', (d) => (chunks += d));
  req.on('end', async () => {
    const body = chunks ? JSON.parse(chunks) : undefined;
    const id = req.headers['mcp-session-id'];
    let transport = id ? transports.get(id) : undefined;
    if (!transport) {
      if (id || body?.method !== 'initialize') {
        res.writeHead(404).end();
        return;
      }
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => transports.set(sid, transport),
      });
      await newServer().connect(transport);
    }
    await transport.handleRequest(req, res, body);
  });
}).listen(port, '127.0.0.1');
