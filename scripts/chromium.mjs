// How Toolport drives a browser (the console's tests and screenshots): Debian's chromium through playwright-core.
import { chromium } from 'playwright-core';

/** The chromium binary: CHROMIUM_PATH, else Debian's (`apt-get install chromium`). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A headless chromium that stays quiet: no sandbox (root in CI), no GPU, no background traffic or updates. */
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
