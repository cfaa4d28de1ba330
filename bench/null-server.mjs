// The HTTP floor: a plain node:http server answering every POST with a fixed tools/call result. Sequential latency
// against it is what the benchmark client and loopback HTTP cost by themselves, with no MCP and no tool.
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    let id = null;
    try {
      id = JSON.parse(body).id ?? null;
    } catch {
      // Not JSON: answer anyway; only the round trip is measured.
    }
    const text = JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'hello' }] } });
    res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'null-session' });
    res.end(text);
  });
}).listen(port, '127.0.0.1');
