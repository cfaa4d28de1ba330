import { type IncomingMessage, request } from 'node:http';
import { createServer } from 'node:net';

/** A free loopback TCP port (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** An open event stream: `ended` resolves when the server closes it. */
export interface OpenStream {
  status: number;
  ended: Promise<void>;
  close(): void;
}

/** Opens a GET event stream (read and discarded) with a bearer token and extra headers. */
export function openStream(url: string, token: string, headers: Record<string, string> = {}): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { headers: { Accept: 'text/event-stream', Authorization: `Bearer ${token}`, ...headers } },
      (res: IncomingMessage) => {
        const ended = new Promise<void>((done) => {
          res.on('end', done);
          res.on('close', done);
          res.on('error', () => done());
        });
        res.resume();
        resolve({ status: res.statusCode ?? 0, ended, close: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
