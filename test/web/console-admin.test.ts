import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../src/webhooks/index.js';
import { consoleTestsRun, signIn, startConsole, type ConsoleHarness } from '../helpers/console-browser.js';
import { echoManifest, startEchoApi } from '../helpers/registry-harness.js';
import { waitFor } from '../helpers/wait.js';

// The console's managing pages in chromium: tenants and webhooks (Access), connector versions and rollback
// (Connectors), health checks on demand (Health). Each flow is checked in the page and through the REST API.
const runs = consoleTestsRun('test/web/console-admin.test.ts');
const PROJECT = 'ops';

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback webhook receiver answering 204; `next()` resolves with the next POST it receives. */
async function startReceiver(): Promise<{ url: string; next(): Promise<Delivery>; close(): Promise<void> }> {
  const waiting: ((delivery: Delivery) => void)[] = [];
  const early: Delivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(204).end();
      const delivery = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const waiter = waiting.shift();
      if (waiter) waiter(delivery);
      else early.push(delivery);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/toolport`,
    next: () => {
      const delivery = early.shift();
      return delivery ? Promise.resolve(delivery) : new Promise((r) => waiting.push(r));
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe.skipIf(!runs)('web console in chromium: managing tenants, webhooks, versions and health', () => {
  let harness: ConsoleHarness;
  let echo: Awaited<ReturnType<typeof startEchoApi>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let page: Page;
  let rest: ConsoleHarness['rest'];
  let url: string;

  beforeAll(async () => {
    [harness, echo, receiver] = await Promise.all([
      // Scheduled health checks would add to the history the health test counts: keep them an hour away.
      startConsole({ serverEnv: { TOOLPORT_HEALTH_INTERVAL_MS: '3600000' } }),
      startEchoApi(),
      startReceiver(),
    ]);
    ({ page, rest } = harness);
    url = harness.server.url;
    expect((await rest('POST', '/v1/projects', { id: PROJECT })).status).toBe(201);
    // Connector `echo` in two versions: #1 with one tool, #2 with a second one.
    const install = (version: string, tools: string[]) =>
      rest('POST', `/v1/projects/${PROJECT}/connectors/install-from-manifest`, {
        manifest: echoManifest(echo.url, version, tools),
      });
    expect((await install('1.0.0', ['get_item'])).status).toBe(201);
    expect((await install('2.0.0', ['get_item', 'list_items'])).status).toBe(200);
    expect((await rest('POST', `/v1/projects/${PROJECT}/connectors/echo/health`)).status).toBe(200);

    await signIn(page, url, harness.server.adminToken, 'operator (admin token)');
    const select = page.locator('#project-select');
    await select.selectOption(PROJECT);
    await waitFor(async () => (await select.inputValue()) === PROJECT, `project ${PROJECT} selected`);
  });

  afterAll(async () => {
    await harness?.close();
    await echo?.close();
    await receiver?.close();
  });

  it('creates a tenant, refuses an invalid id without touching the table, and deletes the tenant', async () => {
    await page.goto(`${url}/#/access`);
    const section = page.getByRole('region', { name: 'Tenants (operator)' });
    const table = section.getByRole('table', { name: 'Tenants' });
    const ids = table.locator('tbody').getByRole('rowheader');
    const row = (id: string) =>
      table.locator('tbody tr', { has: page.getByRole('rowheader', { name: id, exact: true }) });
    await row('default').waitFor();
    expect(await ids.allTextContents()).toEqual(['default']);

    const field = section.getByLabel('New tenant id');
    await field.fill('acme');
    await section.getByRole('button', { name: 'Create tenant' }).click();
    await row('acme').waitFor();
    await expect.poll(() => field.inputValue()).toBe('');
    expect((await ids.allTextContents()).sort()).toEqual(['acme', 'default']);
    expect((await rest('GET', '/v1/tenants/acme')).status).toBe(200);

    await field.fill('Not A Slug!');
    await section.getByRole('button', { name: 'Create tenant' }).click();
    const alert = section.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^400 validation_failed:.*must be a slug/);
    // The entry stays for correcting, and nothing was added, here or on the server.
    expect(await field.inputValue()).toBe('Not A Slug!');
    expect((await ids.allTextContents()).sort()).toEqual(['acme', 'default']);
    const listed = await rest('GET', '/v1/tenants');
    expect(listed.body.tenants.map((t: { id: string }) => t.id).sort()).toEqual(['acme', 'default']);

    await row('acme').getByRole('button', { name: 'Delete' }).click();
    await row('acme').getByRole('button', { name: 'Confirm delete' }).click();
    await row('acme').waitFor({ state: 'detached' });
    expect(await ids.allTextContents()).toEqual(['default']);
    expect((await rest('GET', '/v1/tenants/acme')).status).toBe(404);
  });

  it('adds a webhook that delivers signed events to a loopback receiver, shows its log and deletes it', async () => {
    await page.goto(`${url}/#/access`);
    const section = page.getByRole('region', { name: `Webhooks of ${PROJECT}` });
    await section.getByText('No webhooks.').waitFor();
    const field = section.getByLabel('Receiver URL');
    await field.fill(receiver.url);
    await section.getByRole('button', { name: 'Add webhook' }).click();
    const secret = (await section.getByRole('status').locator('code.secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    const card = section
      .getByRole('list', { name: 'Webhooks' })
      .getByRole('listitem')
      .filter({ hasText: receiver.url });
    await card.waitFor();
    await expect.poll(() => field.inputValue()).toBe('');
    expect(await section.getByText('No webhooks.').count()).toBe(0);
    const hooks = `/v1/projects/${PROJECT}/webhooks`;
    const [hook] = (await rest('GET', hooks)).body.webhooks as { id: string; url: string }[];
    expect(hook?.url).toBe(receiver.url);

    // A connector event reaches the receiver, signed with the secret the console showed.
    const delivered = receiver.next();
    const installed = await rest('POST', `/v1/projects/${PROJECT}/connectors/install-from-manifest`, {
      manifest: echoManifest(echo.url, '1.0.0', ['get_item'], 'pinged'),
    });
    expect(installed.status).toBe(201);
    const delivery = await delivered;
    expect(delivery.headers['x-toolport-event']).toBe('connector.installed');
    const signature = {
      timestamp: delivery.headers['x-toolport-timestamp'] as string,
      signature: delivery.headers['x-toolport-signature'] as string,
    };
    expect(verifyWebhook(secret, signature, delivery.body)).toBe(true);
    // The attempt is logged once the receiver answered: a background write no event announces.
    const logPath = `${hooks}/${hook!.id}/deliveries`;
    await waitFor(async () => (await rest('GET', logPath)).body.deliveries.length > 0, 'the delivery logged');

    await card.getByRole('button', { name: 'Delivery log' }).click();
    expect(await card.getByRole('button', { name: 'Delivery log' }).getAttribute('aria-expanded')).toBe('true');
    const entry = card.getByRole('listitem').filter({ hasText: 'connector.installed' });
    await entry.waitFor();
    expect(await entry.textContent()).toMatch(/^ok connector\.installed · attempt 1 · 204 /);
    expect(await card.getByText('No deliveries yet.').count()).toBe(0);

    await card.getByRole('button', { name: 'Delete' }).click();
    await card.getByRole('button', { name: 'Confirm delete' }).click();
    await card.waitFor({ state: 'detached' });
    await section.getByText('No webhooks.').waitFor();
    expect((await rest('GET', hooks)).body.webhooks).toEqual([]);
  });

  it('lists both versions of a connector and rolls back to the first', async () => {
    await page.goto(`${url}/#/connectors`);
    const row = page.locator('tr[data-connector="echo"]');
    const version = row.locator('td[data-label="Version"]');
    await version.getByText('(#2)').waitFor();
    expect(await version.textContent()).toBe('2.0.0 (#2)');

    await row.getByRole('button', { name: 'Versions' }).click();
    const versions = page.getByRole('table', { name: 'Versions of echo' });
    const seq = (n: number) =>
      versions.locator('tbody tr', { has: page.locator('td:first-child', { hasText: new RegExp(`^${n}$`) }) });
    await seq(1).waitFor();
    // Newest first, each with the tools it changed from the one before.
    expect(await versions.locator('tbody tr td:first-child').allTextContents()).toEqual(['2', '1']);
    expect(await seq(2).textContent()).toContain('2.0.0 current');
    expect(await seq(2).textContent()).toContain('+list_items');
    expect(await seq(1).textContent()).toContain('1.0.0');
    expect(await seq(2).getByRole('button').count()).toBe(0);

    await seq(1).getByRole('button', { name: 'Roll back to #1' }).click();
    // The page learns of the rollback from the event stream.
    await seq(1).getByText('current', { exact: true }).waitFor();
    await seq(2).getByRole('button', { name: 'Roll back to #2' }).waitFor();
    expect(await seq(1).getByRole('button').count()).toBe(0);
    await version.getByText('(#1)').waitFor();
    expect(await version.textContent()).toBe('1.0.0 (#1)');
    const connector = await rest('GET', `/v1/projects/${PROJECT}/connectors/echo`);
    expect(connector.body).toMatchObject({ current_version: 1, version: '1.0.0' });
  });

  it('checks a connector now from the health page and counts the new check', async () => {
    const history = `/v1/projects/${PROJECT}/connectors/echo/health`;
    const before = (await rest('GET', history)).body.checks.length as number;
    expect(before).toBeGreaterThanOrEqual(1);

    await page.goto(`${url}/#/health`);
    const section = page.getByRole('region', { name: 'Health history' });
    await section.getByLabel('Connector').selectOption('echo');
    const count = section.getByText(/^\d+ checks, \d+ failed/);
    await count.waitFor();
    expect(await count.textContent()).toMatch(new RegExp(`^${before} checks, 0 failed`));

    await section.getByRole('button', { name: 'Check now' }).click();
    await section.getByText(new RegExp(`^${before + 1} checks, 0 failed`)).waitFor();
    expect((await rest('GET', history)).body.checks.length).toBe(before + 1);
  });
});
