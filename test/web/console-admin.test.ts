import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../src/webhooks/index.js';
import { consoleTestsRun, signIn, startConsole, type ConsoleHarness } from '../helpers/console-browser.js';
import { echoManifest, startEchoApi } from '../helpers/registry-harness.js';
import { waitFor } from '../helpers/wait.js';

// The console's managing pages in chromium: tenants and webhooks (Access), connector versions and rollback
// (Connectors), health checks on demand and their history (Health). Each flow is checked in the page and through the
// REST API.
const runs = consoleTestsRun('test/web/console-admin.test.ts');
const PROJECT = 'ops';

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A loopback webhook receiver answering 204; `next()` resolves with the next POST it receives. While `hold()` is in
 * force it keeps its answers (and so the sender's logging of the attempt) until the returned release is called.
 */
async function startReceiver(): Promise<{
  url: string;
  next(): Promise<Delivery>;
  hold(): () => void;
  close(): Promise<void>;
}> {
  const waiting: ((delivery: Delivery) => void)[] = [];
  const early: Delivery[] = [];
  let gate: Promise<void> | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (gate ?? Promise.resolve()).then(() => res.writeHead(204).end());
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
    hold: () => {
      let release = (): void => undefined;
      gate = new Promise<void>((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
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

  /** Opens a page of the console afresh (leaving it first when it is the one shown), so it loads everything anew. */
  const visit = async (route: string): Promise<void> => {
    await page.goto(`${url}/#/projects`);
    await page.goto(`${url}/#/${route}`);
  };

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

  it('deletes a tenant that still holds a project only after a second, explicit confirmation', async () => {
    expect((await rest('POST', '/v1/tenants', { id: 'busy' })).status).toBe(201);
    expect((await rest('POST', '/v1/projects', { id: 'things' }, { 'x-tenant-id': 'busy' })).status).toBe(201);
    await visit('access');
    const section = page.getByRole('region', { name: 'Tenants (operator)' });
    const table = section.getByRole('table', { name: 'Tenants' });
    const row = table.locator('tbody tr', { has: page.getByRole('rowheader', { name: 'busy', exact: true }) });
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.getByRole('button', { name: 'Confirm delete' }).click();
    // The server refuses (409) and says why; the console offers the forced delete, nothing deleted yet.
    const refusal = section.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/^409 conflict:.*still holds 1 projects/);
    const force = section.getByRole('button', { name: 'Delete tenant and everything it owns' });
    await force.waitFor();
    expect((await rest('GET', '/v1/tenants/busy')).status).toBe(200);
    expect(await row.count()).toBe(1);

    await force.click();
    await row.waitFor({ state: 'detached' });
    expect(await force.count()).toBe(0);
    expect(await section.getByRole('alert').count()).toBe(0);
    expect((await rest('GET', '/v1/tenants/busy')).status).toBe(404);
  });

  it('adds a webhook, shows a signed delivery logged while its log is open, and deletes it', async () => {
    await visit('access');
    const section = page.getByRole('region', { name: `Webhooks of ${PROJECT}` });
    await section.getByText('No webhooks.').waitFor();
    const field = section.getByLabel('Receiver URL');
    await field.fill(receiver.url);
    await section.getByRole('button', { name: 'Add webhook' }).click();
    const banner = section.getByRole('status').filter({ hasText: 'Signing secret' });
    const secret = (await banner.locator('code.secret').textContent()) ?? '';
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

    // The log is open before anything is delivered.
    const logButton = card.getByRole('button', { name: 'Delivery log' });
    await logButton.click();
    expect(await logButton.getAttribute('aria-expanded')).toBe('true');
    await card.getByText('No deliveries yet.').waitFor();

    // A connector event reaches the receiver, signed with the secret the console showed. The receiver keeps its
    // answer until the page has reloaded the log on that event, so the attempt is logged afterwards, and no event
    // announces it: the open log has to show it by itself.
    const release = receiver.hold();
    const delivered = receiver.next();
    const logPath = `${hooks}/${hook!.id}/deliveries`;
    const reloaded = page.waitForResponse((r) => new URL(r.url()).pathname === logPath);
    const installed = await rest('POST', `/v1/projects/${PROJECT}/connectors/install-from-manifest`, {
      manifest: echoManifest(echo.url, '1.0.0', ['get_item'], 'pinged'),
    });
    expect(installed.status).toBe(201);
    const delivery = await delivered;
    await reloaded;
    expect((await rest('GET', logPath)).body.deliveries).toEqual([]);
    release();
    expect(delivery.headers['x-toolport-event']).toBe('connector.installed');
    const signature = {
      timestamp: delivery.headers['x-toolport-timestamp'] as string,
      signature: delivery.headers['x-toolport-signature'] as string,
    };
    expect(verifyWebhook(secret, signature, delivery.body)).toBe(true);

    const entry = card.getByRole('listitem').filter({ hasText: 'connector.installed' });
    await entry.waitFor();
    expect(await entry.textContent()).toMatch(/^ok connector\.installed · attempt 1 · 204 /);
    expect(await card.getByText('No deliveries yet.').count()).toBe(0);
    expect((await rest('GET', logPath)).body.deliveries).toHaveLength(1);

    // Deleting the webhook takes its one-time secret off the page too.
    await card.getByRole('button', { name: 'Delete' }).click();
    await card.getByRole('button', { name: 'Confirm delete' }).click();
    await card.waitFor({ state: 'detached' });
    await section.getByText('No webhooks.').waitFor();
    expect(await banner.count()).toBe(0);
    expect((await rest('GET', hooks)).body.webhooks).toEqual([]);
  });

  it("puts a new webhook's signing secret away with Done", async () => {
    await visit('access');
    const section = page.getByRole('region', { name: `Webhooks of ${PROJECT}` });
    await section.getByText('No webhooks.').waitFor();
    await section.getByLabel('Receiver URL').fill(receiver.url);
    await section.getByRole('button', { name: 'Add webhook' }).click();
    const banner = section.getByRole('status').filter({ hasText: 'Signing secret' });
    await banner.locator('code.secret').waitFor();
    await banner.getByRole('button', { name: 'Done' }).click();
    await banner.waitFor({ state: 'detached' });
    // The webhook stays.
    await section
      .getByRole('list', { name: 'Webhooks' })
      .getByRole('listitem')
      .filter({ hasText: receiver.url })
      .waitFor();
    const hooks = `/v1/projects/${PROJECT}/webhooks`;
    const [hook] = (await rest('GET', hooks)).body.webhooks as { id: string }[];
    expect(hook).toBeDefined();
    expect((await rest('DELETE', `${hooks}/${hook!.id}`)).status).toBe(204);
  });

  it('polls an open delivery log only while the tab is shown', async () => {
    const hooks = `/v1/projects/${PROJECT}/webhooks`;
    const created = await rest('POST', hooks, { url: receiver.url });
    expect(created.status).toBe(201);
    const logPath = `${hooks}/${created.body.id as string}/deliveries`;
    // A page of its own on a fake clock: time passes only when the test says so.
    const tab = await harness.newPage();
    try {
      await tab.clock.install();
      await signIn(tab, url, harness.server.adminToken, 'operator (admin token)');
      await tab.locator('#project-select').selectOption(PROJECT);
      await tab.goto(`${url}/#/access`);
      const polls: string[] = [];
      tab.on('request', (r) => {
        if (new URL(r.url()).pathname === logPath) polls.push(r.url());
      });
      const card = tab.getByRole('listitem').filter({ hasText: receiver.url });
      await card.getByRole('button', { name: 'Delivery log' }).click();
      await card.getByText('No deliveries yet.').waitFor();
      const polled = async (count: number): Promise<void> => {
        await waitFor(() => polls.length >= count, `${count} loads of the delivery log`);
      };
      await polled(1);
      // Shown: 2 s after a load the log loads again.
      await tab.clock.runFor(2_100);
      await polled(2);
      // Hidden: however long it stays so, no load.
      const setVisibility = (state: 'hidden' | 'visible') =>
        tab.evaluate((value) => {
          // The page's document (this file is typed for Node, without the DOM's names).
          const page = (globalThis as unknown as { document: EventTarget }).document;
          Object.defineProperty(page, 'visibilityState', { value, configurable: true });
          page.dispatchEvent(new Event('visibilitychange'));
        }, state);
      await tab.clock.runFor(500);
      await setVisibility('hidden');
      await tab.clock.runFor(60_000);
      // A request of the page's own after that: a load fired meanwhile would have been seen before it.
      await tab.evaluate(() => fetch('/health').then((r) => r.status));
      const whileHidden = polls.length;
      // Shown again: the waiting poll runs at once.
      await setVisibility('visible');
      await polled(whileHidden + 1);
      expect(whileHidden).toBe(2);
    } finally {
      await tab.close();
      await rest('DELETE', `${hooks}/${created.body.id as string}`);
    }
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

  it('counts checks beyond the API\'s default 20 and says "last 100" once the window is full', async () => {
    const history = `/v1/projects/${PROJECT}/connectors/echo/health`;
    const recorded = async (): Promise<number> => (await rest('GET', `${history}?limit=500`)).body.checks.length;
    const checkTimes = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) expect((await rest('POST', history)).status).toBe(200);
    };
    await checkTimes(25 - (await recorded()));
    expect(await recorded()).toBe(25);

    await visit('health');
    const section = page.getByRole('region', { name: 'Health history' });
    await section.getByLabel('Connector').selectOption('echo');
    const count = section.getByText(/^(last )?\d+ checks, \d+ failed/);
    await count.waitFor();
    expect(await count.textContent()).toBe('25 checks, 0 failed (0% error rate)');

    await section.getByRole('button', { name: 'Check now' }).click();
    await section.getByText(/^26 checks, 0 failed/).waitFor();
    expect(await recorded()).toBe(26);

    // A full window (the page asks for the newest 100, which is also as many as the server keeps per connector):
    // the summary says the numbers are of the last 100, older checks not counted.
    await checkTimes(80);
    await section.getByText(/^last 100 checks, 0 failed \(0% error rate\)$/).waitFor();
    expect(await recorded()).toBe(100);
  });

  it('lists checks that share a time newest first, each keeping its element as new checks arrive', async () => {
    // Two checks can carry the same time (they ran in the same millisecond); the API orders them newest first.
    const at = (s: number): string => `2030-01-01T00:00:0${s}.000Z`;
    const check = (s: number, message: string) => ({
      connector_name: 'echo',
      checked_at: at(s),
      ok: true,
      latency_ms: s,
      message,
      details: {},
    });
    const first = [check(2, 'B1'), check(1, 'A2'), check(1, 'A1')];
    const answers = [first, [check(2, 'B2'), ...first]];
    let answered = 0;
    const history = `**/v1/projects/${PROJECT}/connectors/echo/health*`;
    await page.route(history, async (route) => {
      if (route.request().method() !== 'GET') return route.fallback();
      await route.fulfill({ json: { checks: answers[Math.min(answered++, answers.length - 1)] } });
    });
    try {
      await visit('health');
      const section = page.getByRole('region', { name: 'Health history' });
      await section.getByLabel('Connector').selectOption('echo');
      await section.getByText('Recent checks').click();
      const items = section.locator('details li');
      const messages = async (): Promise<string[]> =>
        (await items.allTextContents()).map((text) => text.split(' · ').pop() ?? '');
      await expect.poll(messages).toEqual(['B1', 'A2', 'A1']);
      // Mark each element with the check it shows, then let a fourth check arrive with B1's time.
      await items.evaluateAll((elements) => {
        for (const e of elements) e.setAttribute('data-shown', e.textContent?.split(' · ').pop() ?? '');
      });
      await section.getByRole('button', { name: 'Check now' }).click();
      await expect.poll(messages).toEqual(['B2', 'B1', 'A2', 'A1']);
      expect(await items.evaluateAll((elements) => elements.map((e) => e.getAttribute('data-shown')))).toEqual([
        null,
        'B1',
        'A2',
        'A1',
      ]);
    } finally {
      await page.unroute(history);
    }
  });
});
