import type { Browser } from 'playwright-core';

export declare const CHROMIUM_PATH: string;
/** A headless chromium that stays quiet: no sandbox (root in CI), no GPU, no background traffic or updates. */
export declare function launchChromium(): Promise<Browser>;
