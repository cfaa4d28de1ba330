/** Structured logger interface (pino-compatible subset). Messages never carry secrets. */
export interface Logger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
  /** Whether lines of `level` are written: lets a hot path skip building a line nobody reads. Absent = yes. */
  enabled?(level: 'debug' | 'info' | 'warn' | 'error'): boolean;
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
  enabled: () => false,
};

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;
/** A log level name. */
export type LogLevel = keyof typeof LEVELS;

/** A JSON-lines logger writing to a stream (stderr by default), one object per line. */
export function createJsonLogger(
  options: { level?: LogLevel; stream?: NodeJS.WritableStream; bindings?: Record<string, unknown> } = {},
): Logger {
  const min = LEVELS[options.level ?? 'info'];
  const stream = options.stream ?? process.stderr;
  const bindings = options.bindings ?? {};
  const write = (level: LogLevel, obj: Record<string, unknown>, msg?: string): void => {
    if (LEVELS[level] < min) return;
    stream.write(`${JSON.stringify({ level, time: new Date().toISOString(), ...bindings, ...obj, msg })}\n`);
  };
  return {
    debug: (o, m) => write('debug', o, m),
    info: (o, m) => write('info', o, m),
    warn: (o, m) => write('warn', o, m),
    error: (o, m) => write('error', o, m),
    child: (b) => createJsonLogger({ ...options, bindings: { ...bindings, ...b } }),
    enabled: (level) => LEVELS[level] >= min,
  };
}
