import type { Ajv2020 } from 'ajv/dist/2020.js';
import {
  createLinearAjv,
  RotatingEngine,
  withoutUnsupportedPatterns,
  type JsonSchema,
  type ValidationIssue,
} from '../../core/index.js';

/** Bounds of a {@link ValidatorCache}; the defaults suit a node serving many tenants for months. */
export interface ValidatorCacheOptions {
  /** Distinct schemas remembered (least recently asked for go first). A tool keeps its own validator regardless. */
  maxEntries?: number;
  /** Schemas compiled by one Ajv instance before a fresh one takes over (see below). */
  compilesPerEngine?: number;
}

/**
 * Compiles tool input schemas once per tool version. Schemas are memoised by their canonical JSON,
 * so reinstalling an unchanged tool (or 1,000 tools sharing a schema) compiles once. Every `pattern` runs on
 * the linear-time engine; a discovered schema's patterns that engine cannot run (backreferences, lookaround)
 * are not enforced here — the upstream still validates its own input — and never reach V8's RegExp.
 *
 * Memory stays bounded on a node whose tenants keep installing new schemas: the memo is an LRU of `maxEntries`, and
 * an Ajv instance retains what it compiled for as long as it lives (even after `removeSchema`), so after
 * `compilesPerEngine` compiles a fresh instance takes over; the old one is freed once no tool uses its validators.
 */
export class ValidatorCache {
  readonly #engines: RotatingEngine<Ajv2020>;
  #cache = new Map<string, (args: unknown) => ValidationIssue[] | null>();
  readonly #maxEntries: number;

  constructor(options: ValidatorCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 5_000;
    this.#engines = new RotatingEngine(() => createLinearAjv(), options.compilesPerEngine ?? 1_000);
  }

  /** A validator for `schema`, compiled on its first call (a tool never called costs no compile). */
  compile(schema: JsonSchema): (args: unknown) => ValidationIssue[] | null {
    const key = JSON.stringify(schema);
    const cached = this.#cache.get(key);
    if (cached) {
      // Most recently used goes last: eviction takes the first.
      this.#cache.delete(key);
      this.#cache.set(key, cached);
      return cached;
    }
    let compiled: ((args: unknown) => ValidationIssue[] | null) | undefined;
    const validator = (args: unknown): ValidationIssue[] | null => (compiled ??= this.#build(schema))(args);
    this.#cache.set(key, validator);
    if (this.#cache.size > this.#maxEntries) this.#cache.delete(this.#cache.keys().next().value as string);
    return validator;
  }

  /** Distinct schemas remembered now. */
  get size(): number {
    return this.#cache.size;
  }

  #build(schema: JsonSchema): (args: unknown) => ValidationIssue[] | null {
    try {
      const fn = this.#engines.forCompile().compile(withoutUnsupportedPatterns(schema).schema);
      return (args) => {
        if (fn(args)) return null;
        return (fn.errors ?? []).map((e) => {
          const missing =
            e.keyword === 'required' ? `/${String((e.params as { missingProperty?: string }).missingProperty)}` : '';
          const extra =
            e.keyword === 'additionalProperties'
              ? `/${String((e.params as { additionalProperty?: string }).additionalProperty)}`
              : '';
          return { pointer: `${e.instancePath}${missing || extra}` || '/', message: e.message ?? 'is invalid' };
        });
      };
    } catch (err) {
      // A schema Ajv cannot compile was already rejected by manifest validation; sources that discover tools
      // (python, mcp) may still hand one over — accept objects rather than refuse every call.
      const reason = (err as Error).message;
      return (args) =>
        args !== null && typeof args === 'object' && !Array.isArray(args)
          ? null
          : [{ pointer: '/', message: `must be an object (schema not compilable: ${reason})` }];
    }
  }
}
