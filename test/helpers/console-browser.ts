import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_PATH as CHROMIUM, launchChromium } from '../../scripts/chromium.mjs';
import { createRestClient, startServerProcess, type ServerProcess } from './server-process.js';

// What the web console's browser tests share: Debian's chromium driven by playwright-core against a started Toolport.
const CONSOLE_INDEX = resolve(import.meta.dirname, '../../dist/console/index.html');

/**
 * Whether the browser tests of `file` can run: without chromium they are skipped with a warning, unless CI=true,
 * where the missing browser makes them fail instead.
 */
export function consoleTestsRun(file: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') return true;
  console.warn(`SKIPPED ${file}: ${CHROMIUM} is missing (apt-get install chromium); CI=true makes this a failure`);
  return false;
}

/** A started server, a headless chromium and one page of it (1280×800, waiting at most 10 s for anything). */
export interface ConsoleHarness {
  server: ServerProcess;
  browser: Browser;
  page: Page;
  /** The REST API with the admin token. */
  rest: ReturnType<typeof createRestClient>;
  /** Another page of the same browser, with the same timeout. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Starts `toolport serve` (with `serverEnv` added to its environment) and chromium side by side. */
export async function startConsole(options: { serverEnv?: Record<string, string> } = {}): Promise<ConsoleHarness> {
  if (!existsSync(CONSOLE_INDEX)) throw new Error('dist/console is missing: run `npm run build` first');
  const [server, browser] = await Promise.all([startServerProcess({ env: options.serverEnv }), launchChromium()]);
  const newPage = async (): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(10_000);
    return page;
  };
  return {
    server,
    browser,
    page: await newPage(),
    rest: createRestClient(server.url, server.adminToken),
    newPage,
    close: async () => {
      await browser.close();
      await server.stop();
    },
  };
}

/** Signs `page` in with `token` from the login form and waits until the console's event stream is connected. */
export async function signIn(page: Page, url: string, token: string, who: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Admin token or API key').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(who).waitFor();
  await page.locator('.live.on').waitFor();
}
