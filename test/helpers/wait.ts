import { setTimeout as pause } from 'node:timers/promises';

/**
 * The one polling helper of the tests, for conditions that publish no event (a process gone, a row written by a
 * background task). It checks a condition, never lets time pass as the assertion: the bound only turns a hang into
 * a failure naming what did not happen. Prefer waiting on an event (`waitUntil` of the registry harness, an SSE
 * client's `next`, a notification handler) where there is one. Its pauses use node:timers, which vitest's fake
 * timers leave alone, so it also works while a test runs the code under test on a fake clock.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(10);
  }
}
