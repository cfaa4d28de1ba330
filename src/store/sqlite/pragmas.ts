/** Durability level of SQLite commits. */
export type SqliteSynchronous = 'normal' | 'full';

/**
 * The pragmas every SQLite connection of Toolport runs with (also used by the crash-safety test's
 * child process, so the test exercises exactly these settings).
 *
 * - `journal_mode = WAL`: readers never block the writer; a commit appends to the -wal file.
 * - `synchronous = NORMAL` (default): in WAL mode a commit has written its frames into the -wal file
 *   (the OS page cache) before `COMMIT` returns, so it survives the process being SIGKILLed; only
 *   the fsync is deferred to checkpoints, so a power loss or OS crash may lose the newest commits but
 *   never corrupts the database. `full` fsyncs every commit for power-loss durability, at a cost.
 * - `busy_timeout`: another connection holding the write lock makes us wait, not fail at once.
 * - `foreign_keys = ON`: the schema's ON DELETE CASCADE relies on it (off by default in SQLite).
 */
export function sqlitePragmas(options: { synchronous?: SqliteSynchronous; busyTimeoutMs?: number } = {}): string[] {
  return [
    'journal_mode = WAL',
    `synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`,
    `busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`,
    'foreign_keys = ON',
  ];
}
