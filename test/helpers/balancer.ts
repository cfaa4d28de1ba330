import { Agent, type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';

/** One upstream of the balancer and what it knows about it. */
interface Backend {
  readonly url: URL;
  readonly agent: Agent;
  /** Out of rotation: a connect error, or its readiness probe failed. */
  down: boolean;
  /** Requests proxied to it (answered or not). */
  requests: number;
  /** Open GET streams (the 2025 standalone SSE streams) per session id. */
  streams: Map<string, number>;
}

/**
 * A small round-robin HTTP load balancer for tests, without session affinity: every request goes to the next
 * backend in rotation. Like a real balancer with health checks it takes a backend out of rotation when a connect
 * fails (and then tries the next one: nothing was sent yet) or when its `/health/ready` probe fails, and puts it
 * back when the probe passes again. A request whose backend dies after it was sent is not retried: the client
 * sees the connection drop, never a hang.
 */
export class RoundRobinBalancer {
  readonly #backends: Backend[];
  #next = 0;
  #server?: Server;
  #probe?: NodeJS.Timeout;
  url = '';

  constructor(backends: string[]) {
    this.#backends = backends.map((u) => ({
      url: new URL(u),
      agent: new Agent({ keepAlive: true, maxSockets: 64 }),
      down: false,
      requests: 0,
      streams: new Map(),
    }));
  }

  async listen(probeMs = 200): Promise<void> {
    this.#server = createServer((req, res) => void this.#proxy(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as { port: number }).port}`;
    this.#probe = setInterval(() => void this.#probeAll(), probeMs);
  }

  /** Requests each backend received so far (index = backend order). */
  requestCounts(): number[] {
    return this.#backends.map((b) => b.requests);
  }

  /** Which backends hold an open GET stream of this session. */
  streamHolders(sessionId: string): number[] {
    return this.#backends.flatMap((b, i) => ((b.streams.get(sessionId) ?? 0) > 0 ? [i] : []));
  }

  isDown(index: number): boolean {
    return this.#backends[index]!.down;
  }

  async close(): Promise<void> {
    clearInterval(this.#probe);
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
    for (const b of this.#backends) b.agent.destroy();
  }

  async #probeAll(): Promise<void> {
    await Promise.all(
      this.#backends.map(async (b) => {
        try {
          const res = await fetch(new URL('/health/ready', b.url), { signal: AbortSignal.timeout(1_000) });
          await res.arrayBuffer();
          b.down = res.status !== 200;
        } catch {
          b.down = true;
        }
      }),
    );
  }

  #pick(skip: Set<Backend>): Backend | undefined {
    for (let i = 0; i < this.#backends.length; i++) {
      const b = this.#backends[this.#next++ % this.#backends.length]!;
      if (!b.down && !skip.has(b)) return b;
    }
    return undefined;
  }

  async #proxy(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const tried = new Set<Backend>();
    const attempt = (): void => {
      const backend = this.#pick(tried);
      if (!backend) {
        res.writeHead(502, { 'content-type': 'text/plain' }).end('no backend available');
        return;
      }
      tried.add(backend);
      backend.requests++;
      const upstream = request(
        {
          host: backend.url.hostname,
          port: backend.url.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent: backend.agent,
        },
        (upRes) => {
          const sessionId = req.method === 'GET' ? req.headers['mcp-session-id'] : undefined;
          if (typeof sessionId === 'string' && upRes.statusCode === 200) {
            backend.streams.set(sessionId, (backend.streams.get(sessionId) ?? 0) + 1);
            res.once('close', () => {
              const n = (backend.streams.get(sessionId) ?? 1) - 1;
              if (n > 0) backend.streams.set(sessionId, n);
              else backend.streams.delete(sessionId);
            });
          }
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          res.flushHeaders();
          upRes.pipe(res);
          // The backend died mid-response: drop the client's connection too, so it errors instead of waiting.
          upRes.once('aborted', () => res.destroy());
          upRes.once('error', () => res.destroy());
        },
      );
      let connected = false;
      upstream.once('socket', (socket) => {
        if (!socket.connecting) connected = true;
        else socket.once('connect', () => (connected = true));
      });
      upstream.once('error', (err: NodeJS.ErrnoException) => {
        if (!connected && err.code === 'ECONNREFUSED') {
          // Nothing reached the backend: take it out of rotation and try the next one.
          backend.down = true;
          attempt();
          return;
        }
        res.destroy();
      });
      res.once('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      upstream.end(body);
    };
    attempt();
  }
}
