import { createServer, type IncomingHttpHeaders } from 'node:http';

/** One request as the loopback API saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback HTTP API that records every request and answers with the reply queued for it. */
export interface Recorder {
  url: string;
  requests: RecordedRequest[];
  /** Queues the reply to a coming request, first queued first used (none queued: 200 `{}`). */
  reply(status: number, body?: unknown): void;
  close(): Promise<void>;
}

export async function startRecorder(): Promise<Recorder> {
  const requests: RecordedRequest[] = [];
  const queued: { status: number; body?: unknown }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://loopback');
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const reply = queued.shift() ?? { status: 200, body: {} };
      if (reply.body === undefined) res.writeHead(reply.status).end();
      else res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply: (status, body) => {
      queued.push({ status, body });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
