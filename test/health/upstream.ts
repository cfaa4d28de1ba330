import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';

/** A loopback JSON API that can be taken down (port closed), brought back on the same port, or made to fail. */
export interface Upstream {
  url: string;
  hits(): number;
  /** `ok` answers `{path, status: "green"}`; `fail` answers 500; `wrong` answers 200 with status "red". */
  mode: 'ok' | 'fail' | 'wrong';
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startUpstream(): Promise<Upstream> {
  let hits = 0;
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const state: Upstream = {
    url: '',
    hits: () => hits,
    mode: 'ok',
    down: async () => {
      const s = server;
      server = undefined;
      if (!s) return;
      // Keep-alive sockets would keep the port answering: cut them.
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((r) => s.close(() => r()));
    },
    up: async () => {
      if (server) return;
      await listen(Number(new URL(state.url).port));
    },
    close: () => state.down(),
  };
  const listen = async (port: number): Promise<void> => {
    const s = createServer((req, res) => {
      hits += 1;
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      req.resume();
      if (state.mode === 'fail') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path, status: state.mode === 'wrong' ? 'red' : 'green' }));
    });
    s.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
    server = s;
    state.url = `http://127.0.0.1:${(s.address() as { port: number }).port}`;
  };
  await listen(0);
  return state;
}

/** A manifest of connector `name` against `baseUrl` with one `status` tool and an optional probe on it. */
export function statusManifest(baseUrl: string, name = 'svc', probe = true): string {
  return `name: ${name}
version: 1.0.0
kind: http
http:
  base_url: ${baseUrl}
  retries: 0
  timeout_ms: 2000
${
  probe
    ? `health:
  interval_ms: 1000
  probe:
    tool: status
    arguments: {}
    expect:
      equals:
        - { pointer: /status, value: green }
`
    : ''
}tools:
  - name: status
    description: Service status
    input_schema: { type: object, properties: {} }
    http: { method: GET, path: /status }
`;
}
