import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifySchema } from 'fastify';

/** Content types of the files the console build emits. */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/** The console only talks to this origin; inline style attributes are what its charts set. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Toolport</title></head>
<body><h1>Toolport</h1><p>The web console has not been built. Run <code>npm run build</code> and restart the server.</p>
<p>The REST API is at <a href="/openapi.json">/openapi.json</a>; liveness at <a href="/health">/health</a>.</p></body></html>`;

/** Left out of /openapi.json: these are the console's files, not part of the API. */
const HIDDEN = { schema: { hide: true } as FastifySchema };

interface Asset {
  body: Buffer;
  type: string;
}

/** Reads the built console into memory once: a handful of small files, served without touching the disk again. */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel))) {
      const path = rel ? `${rel}/${name}` : name;
      const full = join(dir, path);
      if (statSync(full).isDirectory()) walk(path);
      else assets.set(path, { body: readFileSync(full), type: TYPES[extname(name)] ?? 'application/octet-stream' });
    }
  };
  if (existsSync(dir)) walk('');
  return assets;
}

/**
 * Serves the web console without authentication: `GET /` (the page) and `GET /assets/*` (hashed, immutable
 * files). Everything the page shows comes from the authenticated API, so the files themselves hold no secret.
 */
export function registerConsole(app: FastifyInstance, dir: string): void {
  const assets = loadAssets(dir);
  const security = (reply: FastifyReply): FastifyReply =>
    reply
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer');

  const index = (_request: unknown, reply: FastifyReply): FastifyReply => {
    const page = assets.get('index.html');
    return security(reply)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(page?.body ?? NOT_BUILT);
  };
  app.get('/', HIDDEN, index);
  app.get('/index.html', HIDDEN, index);

  app.get('/assets/*', HIDDEN, async (request, reply) => {
    const rest = (request.params as { '*'?: string })['*'] ?? '';
    const asset = /^[A-Za-z0-9._/-]+$/.test(rest) && !rest.includes('..') ? assets.get(`assets/${rest}`) : undefined;
    if (!asset) {
      return reply.code(404).send({ error: { code: 'not_found', message: 'No such console asset.', details: {} } });
    }
    return security(reply)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .type(asset.type)
      .send(asset.body);
  });
}
