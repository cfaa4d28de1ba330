import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

import {
  type AddressClass,
  classifyAddress,
  createGuardedLookup,
  isIpLiteral,
  type Logger,
} from '../../../core/index.js';

/** Options of {@link startEgressProxy}. */
export interface EgressProxyOptions {
  /** Unix socket path to listen on (bound into the sandbox). */
  socketPath: string;
  /** Lets the proxy reach loopback/private addresses (operator content with TOOLPORT_ALLOW_PRIVATE_NETWORKS only). */
  allowPrivateNetworks: boolean;
  logger: Logger;
}

/** A running egress proxy; `close` stops it and drops its tunnels. */
export interface EgressProxy {
  close(): Promise<void>;
}

class EgressRefused extends Error {
  override readonly name = 'EgressRefused';
}

const CONNECT_TIMEOUT_MS = 15_000;

function refusal(host: string, cls: AddressClass): EgressRefused {
  const what = cls === 'invalid' ? 'not a valid address' : `a ${cls.replace('_', '-')} address`;
  return new EgressRefused(
    `Refused by Toolport egress policy: ${host} is ${what}; sandboxed code may reach public addresses only`,
  );
}

/** Splits `host:port` / `[v6]:port` of a CONNECT target. */
function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(authority);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65_535) return undefined;
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

/**
 * An HTTP forward + CONNECT proxy on a unix socket, the only way out of a sandbox whose network namespace is
 * not shared. Every target goes through the address policy of HTTP connectors: IP literals are classified, names
 * are resolved with the guarded lookup (the socket connects to exactly the checked addresses, so DNS rebinding
 * cannot slip a private address in).
 */
export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const lookup = options.allowPrivateNetworks ? undefined : createGuardedLookup(refusal);
  const sockets = new Set<Duplex>();
  const check = (host: string): void => {
    if (options.allowPrivateNetworks || !isIpLiteral(host)) return;
    const cls = classifyAddress(host);
    if (cls !== 'public') throw refusal(host, cls);
  };
  const reason = (err: unknown): string =>
    err instanceof EgressRefused ? err.message : `Toolport egress proxy: ${(err as Error).message}`.slice(0, 300);
  const oneLine = (text: string): string => text.replace(/[\r\n]+/g, ' ');

  const onConnect = (req: IncomingMessage, client: Duplex, head: Buffer): void => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const fail = (status: number, err: unknown): void => {
      const message = oneLine(reason(err));
      options.logger.info({ target: req.url, status }, 'python egress refused');
      client.end(`HTTP/1.1 ${status} ${message}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${message}\n`);
    };
    const target = parseAuthority(req.url ?? '');
    if (!target) return fail(400, new Error('CONNECT needs host:port'));
    try {
      check(target.host);
    } catch (err) {
      return fail(403, err);
    }
    const upstream: Socket = connect({
      host: target.host,
      port: target.port,
      ...(lookup ? { lookup } : {}),
      timeout: CONNECT_TIMEOUT_MS,
    });
    sockets.add(upstream);
    upstream.once('connect', () => {
      upstream.setTimeout(0);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once('timeout', () => upstream.destroy(new Error(`connecting to ${req.url ?? ''} timed out`)));
    upstream.once('error', (err) => {
      if (upstream.connecting || !upstream.readable) fail(err instanceof EgressRefused ? 403 : 502, err);
      client.destroy();
    });
    upstream.once('close', () => {
      sockets.delete(upstream);
      client.end();
    });
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const fail = (status: number, err: unknown): void => {
      const message = oneLine(reason(err));
      options.logger.info({ status }, 'python egress refused');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(status, message, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`${message}\n`);
    };
    let url: URL;
    try {
      url = new URL(req.url ?? '');
      if (url.protocol !== 'http:') throw new Error('only http:// URLs are forwarded; use CONNECT for https');
    } catch (err) {
      return fail(400, err);
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    try {
      check(host);
    } catch (err) {
      return fail(403, err);
    }
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    delete headers['proxy-authorization'];
    const upstream = httpRequest(
      {
        host,
        port: url.port || 80,
        path: `${url.pathname}${url.search}`,
        method: req.method,
        headers,
        ...(lookup ? { lookup } : {}),
        timeout: CONNECT_TIMEOUT_MS,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('the upstream did not answer in time')));
    upstream.on('error', (err) => fail(err instanceof EgressRefused ? 403 : 502, err));
    req.pipe(upstream);
  };

  const server: Server = createServer(onRequest);
  server.on('connect', onConnect);
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
