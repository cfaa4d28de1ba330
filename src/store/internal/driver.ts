import type { ChangeNotice, NodeMessage } from '../store.js';

/** A parameter value both drivers bind: booleans become 0/1 on SQLite, JSON is passed as text. */
export type SqlParam = string | number | boolean | null;

/** Runs SQL written with `?` placeholders (the PostgreSQL driver rewrites them to `$n`). */
export interface SqlExecutor {
  all<R extends object>(sql: string, params?: readonly SqlParam[]): Promise<R[]>;
  get<R extends object>(sql: string, params?: readonly SqlParam[]): Promise<R | undefined>;
  /** Runs a write; resolves to the number of rows changed. */
  run(sql: string, params?: readonly SqlParam[]): Promise<number>;
}

/** How a driver error is classified for translation into a ToolportError. */
export type DriverErrorKind = 'unique' | 'foreign_key' | 'other';

/** The SQL that differs between dialects; everything else is shared. */
export interface SqlDialect {
  /** Case-insensitive LIKE with `\` as the escape character, e.g. `x ILIKE ? ESCAPE '\'`. */
  ilike(column: string): string;
  /** An expression summing two JSON objects of numbers key by key (`existing` and `incoming` are column refs). */
  mergeCounts(existing: string, incoming: string): string;
  classifyError(err: unknown): { kind: DriverErrorKind; code: string | undefined };
}

/** What a concrete driver provides to the shared store implementation. */
export interface SqlDriver extends SqlExecutor {
  readonly name: 'sqlite' | 'postgres';
  readonly dialect: SqlDialect;
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  migrate(): Promise<void>;
  close(): Promise<void>;
  onChange(listener: (notice: ChangeNotice) => void): () => void;
  listening(): Promise<void>;
  /** See Store.onResync. */
  onResync(listener: () => void): () => void;
  notify(notice: ChangeNotice): Promise<void>;
  withLeaderLock(name: string, fn: () => Promise<void>): Promise<boolean>;
  /** See Store.sendNodeMessage / onNodeMessage. */
  sendNodeMessage(message: NodeMessage): Promise<void>;
  onNodeMessage(node: string, listener: (message: NodeMessage) => void): () => void;
}

/** True when a node message is for `node`: addressed to it, or to every node and sent by another. */
export function isFor(message: Pick<NodeMessage, 'from' | 'to'>, node: string): boolean {
  return message.to === undefined ? message.from !== node : message.to === node;
}
