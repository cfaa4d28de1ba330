import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isToolportError } from '../../src/core/index.js';
import { WebhookService, verifyWebhook, type WebhookPayload } from '../../src/webhooks/index.js';
import { startLiveServer, type LiveServer } from '../health/live-server.js';
import { startUpstream, statusManifest, type Upstream } from '../health/upstream.js';
import { waitFor } from '../helpers/wait.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback webhook receiver; answers `failFirst` requests with 503, the rest with 204. */
async function startReceiver(failFirst = 0): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  let seen = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen += 1;
      if (seen <= failFirst) {
        res.writeHead(503).end();
        return;
      }
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`,
    received,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('webhooks over real HTTP', () => {
  let s: LiveServer;
  let upstream: Upstream;

  beforeEach(async () => {
    upstream = await startUpstream();
    s = await startLiveServer({ dispatcher: { backoffMs: 20, maxAttempts: 3 } });
    await s.registry.createProject('default', { id: 'p1' });
  });
  afterEach(async () => {
    await s.close();
    await upstream.close();
  });

  const hooks = `/v1/projects/p1/webhooks`;

  it('delivers signed connector events that verify with the secret shown once', async () => {
    const receiver = await startReceiver();
    try {
      const created = await s.request('POST', hooks, { url: receiver.url });
      expect(created.status).toBe(201);
      const hook = (await created.json()) as { id: string; secret: string; events: string[] };
      expect(hook.secret).toMatch(/^whsec_/);
      expect(hook.events).toContain('connector.status_changed');
      const listed = (await (await s.request('GET', hooks)).json()) as { webhooks: Record<string, unknown>[] };
      expect(listed.webhooks).toHaveLength(1);
      expect(listed.webhooks[0]).not.toHaveProperty('secret');
      expect(JSON.stringify(listed)).not.toContain(hook.secret);

      await s.request('POST', '/v1/projects/p1/connectors/install-from-manifest', {
        manifest: statusManifest(upstream.url),
      });
      await s.request('POST', '/v1/projects/p1/connectors/svc/disable');
      await waitFor(() => receiver.received.length >= 2, 'two deliveries');

      const first = receiver.received.find((r) => r.headers['x-toolport-event'] === 'connector.installed')!;
      const payload = JSON.parse(first.body) as WebhookPayload;
      expect(payload).toMatchObject({
        type: 'connector.installed',
        tenant_id: 'default',
        project_id: 'p1',
        connector: 'svc',
      });
      expect(first.headers['x-toolport-delivery']).toBe(payload.id);
      const timestamp = first.headers['x-toolport-timestamp'] as string;
      expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(60);
      // Verified independently of the library: HMAC-SHA256 over "<timestamp>.<body>".
      const expected = createHmac('sha256', hook.secret).update(`${timestamp}.${first.body}`).digest('hex');
      expect(first.headers['x-toolport-signature']).toBe(`sha256=${expected}`);
      expect(
        verifyWebhook(
          hook.secret,
          { timestamp, signature: first.headers['x-toolport-signature'] as string },
          first.body,
        ),
      ).toBe(true);
      expect(
        verifyWebhook(
          'whsec_wrong-secret-0000000',
          { timestamp, signature: first.headers['x-toolport-signature'] as string },
          first.body,
        ),
      ).toBe(false);
      expect(
        verifyWebhook(
          hook.secret,
          { timestamp, signature: first.headers['x-toolport-signature'] as string },
          `${first.body} `,
        ),
      ).toBe(false);
      expect(receiver.received.some((r) => r.headers['x-toolport-event'] === 'connector.disabled')).toBe(true);

      const log = (await (await s.request('GET', `${hooks}/${hook.id}/deliveries`)).json()) as {
        deliveries: { ok: boolean; status_code: number; event: string }[];
      };
      expect(
        log.deliveries
          .filter((d) => d.ok && d.status_code === 204)
          .map((d) => d.event)
          .sort(),
      ).toEqual(['connector.disabled', 'connector.installed']);

      expect((await s.request('DELETE', `${hooks}/${hook.id}`)).status).toBe(204);
      expect((await s.request('DELETE', `${hooks}/${hook.id}`)).status).toBe(404);
    } finally {
      await receiver.close();
    }
  });

  it('retries with backoff and logs every attempt under one delivery id', async () => {
    const receiver = await startReceiver(2);
    try {
      const hook = (await (
        await s.request('POST', hooks, {
          url: receiver.url,
          events: ['connector.installed'],
          secret: 'a-secret-of-sixteen-chars',
        })
      ).json()) as { id: string };
      await s.request('POST', '/v1/projects/p1/connectors/install-from-manifest', {
        manifest: statusManifest(upstream.url),
      });
      await waitFor(() => receiver.received.length === 1, 'a delivery after two failures');
      const log = await waitFor(async () => {
        const body = (await (await s.request('GET', `${hooks}/${hook.id}/deliveries`)).json()) as {
          deliveries: { id: string; attempt: number; ok: boolean; status_code: number; error: string | null }[];
        };
        return body.deliveries.length === 3 ? body.deliveries : null;
      }, 'three logged attempts');
      expect(log.map((d) => [d.attempt, d.ok, d.status_code])).toEqual([
        [3, true, 204],
        [2, false, 503],
        [1, false, 503],
      ]);
      expect(new Set(log.map((d) => d.id)).size).toBe(1);
      expect(log[1]!.error).toBe('receiver answered HTTP 503');
      expect(receiver.received[0]!.headers['x-toolport-delivery']).toBe(log[0]!.id);
    } finally {
      await receiver.close();
    }
  });

  it('gives up after the last attempt and only sends subscribed events', async () => {
    const receiver = await startReceiver(100);
    try {
      const hook = (await (
        await s.request('POST', hooks, { url: receiver.url, events: ['connector.uninstalled'] })
      ).json()) as { id: string };
      await s.request('POST', '/v1/projects/p1/connectors/install-from-manifest', {
        manifest: statusManifest(upstream.url),
      });
      await s.request('DELETE', '/v1/projects/p1/connectors/svc');
      // `pending` counts deliveries queued or waiting for a retry, so at 0 with three attempts logged nothing is
      // scheduled any more: no fourth attempt can follow. The uninstall came after the install (events are looked up
      // in order), so it is the positive control for the unsubscribed `connector.installed`: had that one been
      // queued, it would be pending or logged by now.
      const log = await waitFor(async () => {
        if (s.dispatcher.pending > 0) return null;
        const body = (await (await s.request('GET', `${hooks}/${hook.id}/deliveries`)).json()) as {
          deliveries: { id: string; event: string; attempt: number; ok: boolean }[];
        };
        return body.deliveries.length >= 3 ? body.deliveries : null;
      }, 'three failed attempts and nothing pending');
      expect(log.map((d) => [d.event, d.attempt, d.ok])).toEqual([
        ['connector.uninstalled', 3, false],
        ['connector.uninstalled', 2, false],
        ['connector.uninstalled', 1, false],
      ]);
      expect(new Set(log.map((d) => d.id)).size).toBe(1);
    } finally {
      await receiver.close();
    }
  });

  it('validates input with pointers and hides other projects and tenants', async () => {
    const bad = await s.request('POST', hooks, { url: 'ftp://example.com/x', events: ['connector.nope'] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('/url');
    const badEvent = await s.request('POST', hooks, { url: 'https://example.com/x', events: ['connector.nope'] });
    expect(badEvent.status).toBe(400);
    expect(JSON.stringify(await badEvent.json())).toContain('/events/0');
    expect((await s.request('POST', hooks, { url: 'https://example.com/x', secret: 'short' })).status).toBe(400);
    expect((await s.request('GET', `/v1/projects/nope/webhooks`)).status).toBe(404);
    const hook = (await (await s.request('POST', hooks, { url: 'https://example.com/x' })).json()) as { id: string };
    await s.registry.createProject('default', { id: 'p2' });
    expect((await s.request('GET', `/v1/projects/p2/webhooks/${hook.id}/deliveries`)).status).toBe(404);
    expect((await s.request('DELETE', `/v1/projects/p2/webhooks/${hook.id}`)).status).toBe(404);
  });

  it('refuses loopback and private targets unless private networks are allowed', async () => {
    const strict = new WebhookService({ store: s.store, allowPrivateNetworks: false });
    for (const url of [
      'http://127.0.0.1:9/x',
      'http://localhost/x',
      'http://[::1]/x',
      'http://10.1.2.3/x',
      'http://[::ffff:7f00:1]/x',
      'http://169.254.169.254/latest',
    ]) {
      const err = await strict.create('default', 'p1', { url }).catch((e: unknown) => e);
      expect(isToolportError(err, 'target_refused'), url).toBe(true);
    }
    await expect(strict.create('default', 'p1', { url: 'https://example.com/hook' })).resolves.toMatchObject({
      url: 'https://example.com/hook',
    });
  });
});
