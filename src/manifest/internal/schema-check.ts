import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { createLinearAjv, isRecord, linearRegExpProblem, RotatingEngine, type JsonSchema } from '../../core/index.js';
import { child, getAt } from './pointer.js';

/** A problem inside an embedded JSON Schema; `pointer` is relative to the schema root. */
export interface SchemaProblem {
  pointer: string;
  message: string;
}

/**
 * The outcome of checking one schema: its problems, and (when it has none) a validator compiled on first
 * read — compiling costs milliseconds per schema, so a manifest of many tools compiles only what is used.
 */
export interface SchemaVerdict {
  problems: SchemaProblem[];
  readonly validate?: ValidateFunction;
}

/** Checks embedded tool schemas; results are memoised by schema text so each distinct schema compiles once. */
export interface SchemaChecker {
  check(schema: JsonSchema): SchemaVerdict;
}

const CACHE_LIMIT = 2000;
// Keys whose values are data, not subschemas: a `$ref` inside them is not a reference.
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples', 'example']);

/** Bounds of a checker; the defaults suit a node whose tenants keep installing manifests. */
export interface SchemaCheckerOptions {
  /** Verdicts remembered (oldest go first). */
  maxEntries?: number;
  /** Schemas compiled by one Ajv instance before a fresh one takes over (see RotatingEngine). */
  compilesPerEngine?: number;
}

/** Creates a checker: meta-schema validation (2020-12, draft-07 by `$schema`), local `$ref` resolution, then compile. */
export function createSchemaChecker(options: SchemaCheckerOptions = {}): SchemaChecker {
  const require = createRequire(import.meta.url);
  const draft07 = require('ajv/dist/refs/json-schema-draft-07.json') as JsonSchema;
  const engines = new RotatingEngine(() => {
    const ajv = createLinearAjv({ logger: false });
    ajv.addMetaSchema(draft07);
    return ajv;
  }, options.compilesPerEngine);
  const maxEntries = options.maxEntries ?? CACHE_LIMIT;
  const cache = new Map<string, SchemaVerdict>();

  const evaluate = (schema: JsonSchema): SchemaVerdict => {
    const meta = metaProblems(engines.current, schema);
    const refs = refProblems(schema);
    if (meta.length > 0 || refs.problems.length > 0) return { problems: [...meta, ...refs.problems] };
    // Meta-schema and local-reference checks found nothing: only an external `$ref` can still fail to
    // compile, so only then is the schema compiled now; otherwise on first use.
    if (refs.external.length === 0) return lazyVerdict(() => compileOnce(engines.forCompile(), schema));
    try {
      const validate = compileOnce(engines.forCompile(), schema);
      return { problems: [], validate };
    } catch (err) {
      const missing = (err as { missingRef?: string }).missingRef;
      const pointer = missing !== undefined ? (refs.external[0] ?? '') : '';
      const message =
        missing !== undefined
          ? `$ref '${missing}' cannot be resolved`
          : `invalid JSON Schema: ${(err as Error).message}`;
      return { problems: [{ pointer, message }] };
    }
  };

  return {
    check(schema) {
      const key = JSON.stringify(schema);
      const hit = cache.get(key);
      if (hit) return hit;
      const verdict = evaluate(schema);
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
      cache.set(key, verdict);
      return verdict;
    },
  };
}

function compileOnce(ajv: Ajv2020, schema: JsonSchema): ValidateFunction {
  try {
    return ajv.compile(schema);
  } finally {
    // The verdict is cached by the checker; Ajv's own registry would otherwise grow forever and clash on `$id`.
    ajv.removeSchema(schema);
  }
}

function lazyVerdict(compile: () => ValidateFunction): SchemaVerdict {
  let validate: ValidateFunction | null | undefined;
  return {
    problems: [],
    get validate() {
      if (validate === undefined) {
        try {
          validate = compile();
        } catch {
          validate = null; // nothing left that can fail here; a caller without a validator skips the check
        }
      }
      return validate ?? undefined;
    },
  };
}

function metaProblems(ajv: Ajv2020, schema: JsonSchema): SchemaProblem[] {
  let valid: boolean;
  try {
    valid = ajv.validateSchema(schema) as boolean;
  } catch {
    return [
      {
        pointer: '/$schema',
        message: `unsupported $schema '${String(schema.$schema)}' (use draft 2020-12 or draft-07)`,
      },
    ];
  }
  if (valid) return [];
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const error of ajv.errors ?? []) {
    // Meta-schema alternatives (anyOf over type forms) add noise after the specific error.
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf' || seen.has(error.instancePath)) continue;
    seen.add(error.instancePath);
    problems.push({ pointer: error.instancePath, message: `invalid JSON Schema: ${metaMessage(error)}` });
  }
  return problems;
}

function metaMessage(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'enum') return `must be one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}`;
  if (error.keyword === 'format' && params.format === 'regex') return 'not a valid regular expression';
  return error.message ?? 'is invalid';
}

/** Resolves every local `$ref` (external ones are listed for compile to judge) and checks regular expressions. */
function refProblems(schema: JsonSchema): { problems: SchemaProblem[]; external: string[] } {
  const problems: SchemaProblem[] = [];
  const external: string[] = [];
  const anchors = new Set<string>();
  const refs: { pointer: string; ref: string }[] = [];
  const visit = (node: unknown, pointer: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, child(pointer, i)));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const obj = node as Record<string, unknown>;
    if (typeof obj.$anchor === 'string') anchors.add(obj.$anchor);
    if (typeof obj.$id === 'string' && obj.$id.startsWith('#')) anchors.add(obj.$id.slice(1));
    // Patterns must be valid ECMA-262 (`u` flag) and runnable on the linear-time engine; checked here to
    // name the exact place.
    if (typeof obj.pattern === 'string') {
      const problem = regExpProblem(obj.pattern);
      if (problem) problems.push({ pointer: child(pointer, 'pattern'), message: problem });
    }
    for (const name of Object.keys(isRecord(obj.patternProperties) ? obj.patternProperties : {})) {
      const problem = regExpProblem(name);
      if (problem) problems.push({ pointer: child(child(pointer, 'patternProperties'), name), message: problem });
    }
    for (const [key, value] of Object.entries(obj)) {
      if (DATA_KEYWORDS.has(key)) continue;
      if (key === '$ref' && typeof value === 'string') refs.push({ pointer: child(pointer, key), ref: value });
      else visit(value, child(pointer, key));
    }
  };
  visit(schema, '');
  for (const { pointer, ref } of refs) {
    if (!ref.startsWith('#')) {
      external.push(pointer);
      continue;
    }
    let fragment: string;
    try {
      fragment = decodeURIComponent(ref.slice(1));
    } catch {
      problems.push({ pointer, message: `$ref '${ref}' is not a valid URI fragment` });
      continue;
    }
    const found =
      fragment === '' || (fragment.startsWith('/') ? getAt(schema, fragment) !== undefined : anchors.has(fragment));
    if (!found) problems.push({ pointer, message: `$ref '${ref}' points nowhere` });
  }
  return { problems, external };
}

function regExpProblem(pattern: string): string | undefined {
  try {
    // Compiling (never running) a JavaScript RegExp is linear in the pattern: a syntax check only.
    new RegExp(pattern, 'u');
  } catch {
    return 'not a valid regular expression';
  }
  return linearRegExpProblem(pattern);
}
