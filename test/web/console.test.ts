import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleTestsRun, startConsole, type ConsoleHarness } from '../helpers/console-browser.js';
import { startEchoApi } from '../helpers/registry-harness.js';
import { createRestClient, type ServerProcess } from '../helpers/server-process.js';

// The web console end to end: Debian's chromium driven by playwright-core against a started Toolport.
const runs = consoleTestsRun('test/web/console.test.ts');

const PYTHON_SCRIPT = readFileSync(resolve(import.meta.dirname, 'fixtures/calc.py'), 'utf8');

/** A manifest whose tool has a nested object, an enum and an array; `descriptio` (line 10) is the planted error. */
function orderManifest(baseUrl: string, broken: boolean): string {
  return `name: echo
version: 1.0.0
kind: http
description: Echo API for the console test
http:
  base_url: ${baseUrl}
  retries: 0
tools:
  - name: create_order
    ${broken ? 'descriptio' : 'description'}: Create an order
    input_schema:
      type: object
      required: [customer, size]
      additionalProperties: false
      properties:
        customer:
          type: object
          required: [name]
          properties:
            name: { type: string }
            vip: { type: boolean }
        size: { type: string, enum: [small, large] }
        toppings: { type: array, items: { type: string } }
    http: { method: POST, path: /orders }
  - name: fail
    description: Always answers HTTP 500
    http: { method: GET, path: /fail }
`;
}

describe.skipIf(!runs)('web console in chromium', () => {
  let harness: ConsoleHarness;
  let server: ServerProcess;
  let echo: Awaited<ReturnType<typeof startEchoApi>>;
  let page: Page;
  let rest: ConsoleHarness['rest'];

  beforeAll(async () => {
    [harness, echo] = await Promise.all([startConsole(), startEchoApi()]);
    ({ server, page, rest } = harness);
  });

  afterAll(async () => {
    await harness?.close();
    await echo?.close();
  });

  it('serves the console at / without a token and keeps the API behind one', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    expect((await fetch(`${server.url}${asset}`)).status).toBe(200);
    expect((await fetch(`${server.url}/v1/projects`)).status).toBe(401);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('refuses an unknown token and signs in with the admin token', async () => {
    await page.goto(server.url);
    await page.getByLabel('Admin token or API key').fill('tp_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('unknown or revoked');

    await page.getByLabel('Admin token or API key').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('operator (admin token)').waitFor();
    // The event stream is connected (fetch-based SSE with the Authorization header).
    await page.locator('.live.on').waitFor();
  });

  it('creates a project from the form and selects it', async () => {
    await page.goto(`${server.url}/#/projects`);
    await page.getByLabel('Id (lower-case letters, digits, - or _)').fill('e2e');
    await page.getByLabel('Name', { exact: true }).fill('End to end');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.locator('li[data-project="e2e"]').waitFor();
    await expect.poll(() => page.locator('#project-select').inputValue()).toBe('e2e');
    const listed = await rest('GET', '/v1/projects/e2e');
    expect(listed.status).toBe(200);
    expect(listed.body.name).toBe('End to end');
  });

  it('deletes a project in two steps', async () => {
    expect((await rest('POST', '/v1/projects', { id: 'scratch' })).status).toBe(201);
    // Projects are not registry events: a reload shows it (the session survives, it is kept for the tab).
    await page.reload();
    const card = page.locator('li[data-project="scratch"]');
    await card.waitFor();
    await card.getByRole('button', { name: 'Delete' }).click();
    await card.getByRole('button', { name: 'Confirm delete' }).click();
    await card.waitFor({ state: 'detached' });
    expect((await rest('GET', '/v1/projects/scratch')).status).toBe(404);
    expect(await page.locator('#project-select').inputValue()).toBe('e2e');
  });

  it('shows a manifest error at its line, then installs the fixed manifest', async () => {
    await page.goto(`${server.url}/#/connectors`);
    await page.getByRole('heading', { name: 'Connectors in e2e' }).waitFor();
    const editor = page.getByLabel('Manifest (YAML)');
    await editor.fill(orderManifest(echo.url, true));
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    await page.locator('.gutter [data-error-line="10"]').waitFor();
    const issue = page.locator('li[data-issue-line="10"]');
    expect(await issue.textContent()).toMatch(/Line 10:5.*unknown key 'descriptio'/);
    expect((await rest('GET', '/v1/projects/e2e/connectors')).body.connectors).toEqual([]);

    await editor.fill(orderManifest(echo.url, false));
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    const row = page.locator('tr[data-connector="echo"]');
    await row.locator('[data-status="active"]').waitFor();
    expect(await page.locator('.gutter [data-error-line]').count()).toBe(0);
  });

  it('calls a tool from a playground form built from its schema (nested object, enum, array)', async () => {
    await page.goto(`${server.url}/#/tools`);
    await page.getByLabel('Search tools').fill('echo');
    await page.locator('button[data-tool="echo__create_order"]').click();
    await page.locator('#arg-customer-name').fill('Ada');
    await page.locator('#arg-customer-vip').check();
    await page.locator('#arg-size').selectOption({ label: 'large' });
    await page.getByRole('button', { name: 'Add toppings' }).click();
    await page.locator('#arg-toppings-0').fill('olives');
    await page.getByRole('button', { name: 'Call tool' }).click();
    const result = page.getByTestId('tool-result');
    await result.waitFor();
    const structured = JSON.parse((await result.getByLabel('Structured content').textContent()) ?? '{}');
    expect(structured).toMatchObject({
      method: 'POST',
      path: '/orders',
      body: { customer: { name: 'Ada', vip: true }, size: 'large', toppings: ['olives'] },
    });
  });

  it('shows argument errors and tool errors from the playground', async () => {
    await page.locator('#arg-customer-name').fill('');
    await page.getByRole('button', { name: 'Call tool' }).click();
    // The customer object is now empty: the server refuses the arguments and the console says which field.
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^400 validation_failed:.*name/);

    // A tool that fails (HTTP 500 upstream) is an error result, not an API error.
    await page.locator('button[data-tool="echo__fail"]').click();
    await page.getByRole('button', { name: 'Call tool' }).click();
    const result = page.getByTestId('tool-result');
    await result.getByRole('heading', { name: 'The tool reported an error' }).waitFor();
    expect(await result.locator('.result-text').first().textContent()).toContain('500');
  });

  it('uploads a Python script by drag and drop, generates a service from two functions and calls one', async () => {
    await page.goto(`${server.url}/#/python`);
    // A real drop event carrying the file (runs in the page: browser globals, not Node's).
    const transfer = await page.evaluateHandle((content) => {
      const g = globalThis as unknown as {
        DataTransfer: new () => { items: { add(file: unknown): void } };
        File: new (parts: string[], name: string, options: { type: string }) => unknown;
      };
      const data = new g.DataTransfer();
      data.items.add(new g.File([content], 'calc.py', { type: 'text/x-python' }));
      return data;
    }, PYTHON_SCRIPT);
    await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer: transfer });
    await page.getByRole('heading', { name: 'Analysis of calc.py' }).waitFor();
    const functions = page.getByRole('list', { name: 'Functions' });
    expect(await functions.locator('code').allTextContents()).toEqual(['add', 'greet', 'stats']);
    await page.getByText('Skipped names').click();
    await page.getByText('_helper').waitFor();

    await functions.getByRole('checkbox', { name: /add/ }).check();
    await functions.getByRole('checkbox', { name: /greet/ }).check();
    await page.getByLabel('Service name').fill('calc');
    await page.getByRole('button', { name: 'Generate service' }).click();
    const created = page.locator('.result', { hasText: 'Service calc' });
    await created.locator('[data-status="active"]').waitFor({ timeout: 45_000 });
    const service = await rest('GET', '/api/v1/services/calc?project=e2e');
    expect(service.body.tools.map((t: { name: string }) => t.name).sort()).toEqual(['add', 'greet']);

    await created.getByRole('link', { name: 'add' }).click();
    await page.getByRole('heading', { name: 'calc__add' }).waitFor();
    await page.locator('#arg-a').fill('2');
    await page.locator('#arg-b').fill('3');
    await page.getByRole('button', { name: 'Call tool' }).click();
    await expect.poll(() => page.getByTestId('tool-result').locator('.result-text').textContent()).toBe('5');
  }, 90_000);

  it('updates connector status from the event stream, without reloading the page', async () => {
    await page.goto(`${server.url}/#/connectors`);
    const row = page.locator('tr[data-connector="echo"]');
    await row.locator('[data-status="active"]').waitFor();
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));

    await row.getByRole('button', { name: 'Disable echo' }).click();
    await row.locator('[data-status="inactive"]').waitFor();

    // A change made elsewhere (here: the REST API) reaches the open page through /v1/events.
    expect((await rest('POST', '/v1/projects/e2e/connectors/echo/enable')).status).toBe(200);
    await row.locator('[data-status="active"]').waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);
  });

  it('creates an API key shown once, signs in with it, and revokes it', async () => {
    await page.goto(`${server.url}/#/access`);
    await page.getByLabel('Name', { exact: true }).fill('e2e-key');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-key').locator('code.secret').textContent()) ?? '';
    expect(key).toMatch(/^tp_/);
    expect((await createRestClient(server.url, key)('GET', '/v1/projects')).status).toBe(200);

    // The key signs in too, and the console shows what an invoke-only key may do.
    const other = await harness.newPage();
    try {
      await other.goto(server.url);
      await other.getByLabel('Admin token or API key').fill(key);
      await other.getByRole('button', { name: 'Sign in' }).click();
      await other.getByText('API key (invoke)').waitFor();
      await other.goto(`${server.url}/#/access`);
      await other.getByText("This key has no 'admin' scope").waitFor();
    } finally {
      await other.close();
    }

    const row = page.locator('tr[data-key="e2e-key"]');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Confirm revoke' }).click();
    await row.getByText('revoked').waitFor();
    expect((await createRestClient(server.url, key)('GET', '/v1/projects')).status).toBe(401);
  });
});
