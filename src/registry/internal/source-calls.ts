import type { ToolSource } from '../../core/index.js';

/** Calls running on each source, and who waits for them to end. */
const running = new WeakMap<ToolSource, { calls: number; idle?: () => void }>();

/** Marks a call on `source` as started; the returned function marks it ended. */
export function callStarted(source: ToolSource): () => void {
  let entry = running.get(source);
  if (!entry) running.set(source, (entry = { calls: 0 }));
  entry.calls++;
  const counted = entry;
  return () => {
    if (--counted.calls === 0) counted.idle?.();
  };
}

/**
 * Resolves once no call runs on `source`, or after `capMs`: a retired source (a new version took over, the
 * connector was disabled or the node is stopping) lets the calls running on it finish before it is closed.
 */
export function whenIdle(source: ToolSource, capMs: number): Promise<void> {
  const entry = running.get(source);
  if (!entry || entry.calls === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      entry.idle = undefined;
      resolve();
    };
    const timer = setTimeout(done, capMs);
    entry.idle = done;
  });
}
