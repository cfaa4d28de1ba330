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
  /** Requests sent to it and not yet answered, by kind (with or without an `Mcp-Session-Id`). */
  inFlight: { session: number; sessionless: number };
}

/** What the balancer did with requests whose backend failed. */
export interface BalancerCounts {
  /** Sessionless requests re-sent to another backend after theirs closed without answering. */
  replayed: number;
  /** Requests whose backend failed after they were sent, passed to the client as a dropped connection. */
  dropped: number;
}

/**
 * A small round-robin HTTP load balancer for tests, without session affinity: every request goes to the next
 * backend in rotation. Like a real balancer with health checks it takes a backend out of rotation when a connect
 * fails (and then tries the next one: nothing was sent yet) or when its `/health/ready` probe fails, and puts it
 * back when the probe passes again.
 *
 * A request whose backend closes the connection after it was sent and before the first byte of an answer:
 * - without an `Mcp-Session-Id` (a self-contained 2026-07-28 request any node can serve) it is sent again to the
 *   next backend, as HAProxy's `retry-on empty-response` with `option redispatch` does (docs/deployment.md);
 * - with one (a 2025 session's request) it is not: the client sees the connection drop, never a hang.
 * Once a byte of the answer reached the client nothing is re-sent, whatever the request.
 */
export class RoundRobinBalancer {
  readonly #backends: Backend[];
  #next = 0;
  readonly #counts: BalancerCounts = { replayed: 0, dropped: 0 };
  /** Which backend got each request, with the JSON-RPC method of its body (if it had one). */
  readonly #history: { backend: number; method: string | undefined; httpMethod: string }[] = [];
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
      inFlight: { session: 0, sessionless: 0 },
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

  /** Requests of each kind a backend has not answered yet. */
  inFlight(index: number): { session: number; sessionless: number } {
    return { ...this.#backends[index]!.inFlight };
  }

  /** The requests sent so far, in order: which backend got each and its JSON-RPC method (GET streams: none). */
  history(): readonly { backend: number; method: string | undefined; httpMethod: string }[] {
    return this.#history;
  }

  counts(): BalancerCounts {
    return { ...this.#counts };
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
    const kind = req.headers['mcp-session-id'] === undefined ? 'sessionless' : 'session';
    const tried = new Set<Backend>();
    const attempt = (): void => {
      const backend = this.#pick(tried);
      if (!backend) {
        res.writeHead(502, { 'content-type': 'text/plain' }).end('no backend available');
        return;
      }
      tried.add(backend);
      backend.requests++;
      this.#history.push({
        backend: this.#backends.indexOf(backend),
        method: rpcMethod(body),
        httpMethod: req.method!,
      });
      backend.inFlight[kind]++;
      let answered = false;
      let settled = false;
      const settle = (): void => {
        if (!settled) backend.inFlight[kind]--;
        settled = true;
      };
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
          answered = true;
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
          upRes.once('end', settle);
          // The backend died mid-response: drop the client's connection too, so it errors instead of waiting.
          const drop = (): void => {
            settle();
            this.#counts.dropped++;
            res.destroy();
          };
          upRes.once('aborted', drop);
          upRes.once('error', drop);
        },
      );
      let connected = false;
      upstream.once('close', settle);
      upstream.once('socket', (socket) => {
        if (!socket.connecting) connected = true;
        else socket.once('connect', () => (connected = true));
      });
      upstream.once('error', (err: NodeJS.ErrnoException) => {
        settle();
        if (!connected && err.code === 'ECONNREFUSED') {
          // Nothing reached the backend: take it out of rotation and try the next one.
          backend.down = true;
          attempt();
          return;
        }
        if (!answered && kind === 'sessionless' && !res.destroyed) {
          // Sent, but the backend closed without a byte of an answer: another node can serve a self-contained
          // request, so send it there (the dead one leaves the rotation until its probe passes).
          backend.down = true;
          this.#counts.replayed++;
          attempt();
          return;
        }
        this.#counts.dropped++;
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

/** The `method` of a JSON-RPC message body (undefined for batches, responses and anything else). */
function rpcMethod(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { method?: unknown };
    return typeof parsed?.method === 'string' ? parsed.method : undefined;
  } catch {
    return undefined;
  }
}
