import type { Logger } from '../../src/core/index.js';

/** One line a {@link RecordingLogger} was given (a child's bindings merged in). */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string | undefined;
  fields: Record<string, unknown>;
}

/**
 * A Logger that keeps every line, so a test can wait on what the code under test reports doing (a line is
 * written at the moment it happens) instead of sleeping.
 */
export interface RecordingLogger {
  logger: Logger;
  lines: LogLine[];
  /** Resolves with the first line (already kept or still to come) that matches; rejects after `timeoutMs`. */
  line(predicate: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
}

export function createRecordingLogger(): RecordingLogger {
  const lines: LogLine[] = [];
  const waiters = new Set<(line: LogLine) => void>();
  const make = (bindings: Record<string, unknown>): Logger => {
    const write =
      (level: LogLine['level']) =>
      (obj: Record<string, unknown>, msg?: string): void => {
        const line: LogLine = { level, msg, fields: { ...bindings, ...obj } };
        lines.push(line);
        for (const waiter of [...waiters]) waiter(line);
      };
    return {
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return {
    logger: make({}),
    lines,
    line: (predicate, what, timeoutMs = 10_000) => {
      const kept = lines.find(predicate);
      if (kept) return Promise.resolve(kept);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no log line within ${timeoutMs} ms: ${what}`));
        }, timeoutMs);
        const waiter = (line: LogLine): void => {
          if (!predicate(line)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(line);
        };
        waiters.add(waiter);
      });
    },
  };
}
