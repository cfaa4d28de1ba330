import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { JsonSchema } from '../../core/index.js';
import { child, getAt } from './pointer.js';

/** A problem found by a check, before positions are attached. */
export interface RawIssue {
  pointer: string;
  message: string;
  /** Point at the key rather than the value (unknown keys). */
  at?: 'key' | 'value';
  severity?: 'error' | 'warning';
}

/**
 * Compiles a draft-07 descriptor schema once and reports every violation as a readable RawIssue.
 * Ajv's raw errors are rewritten: unknown keys get "did you mean", missing fields name the field,
 * patterns use the schema's `errorMessage`, and noise from `if`/`oneOf` wrappers is dropped.
 */
export function createStructureCheck(schema: JsonSchema): (data: unknown) => RawIssue[] {
  let validate: ValidateFunction | undefined;
  return (data) => {
    // Compiled on first use so importing the module costs nothing.
    validate ??= compile(schema);
    if (validate(data)) return [];
    const seen = new Set<string>();
    const issues: RawIssue[] = [];
    for (const error of validate.errors ?? []) {
      const issue = describe(error, data);
      if (!issue) continue;
      const key = `${issue.pointer}\u0000${issue.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      issues.push(issue);
    }
    return issues;
  };
}

function compile(schema: JsonSchema): ValidateFunction {
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    discriminator: true,
    strict: true,
    strictRequired: false,
    strictTypes: false,
    strictTuples: false,
  });
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
  return ajv.compile(schema);
}

function describe(error: ErrorObject, data: unknown): RawIssue | undefined {
  const at = error.instancePath;
  const params = error.params as Record<string, unknown>;
  const custom = (error.parentSchema as { errorMessage?: string } | undefined)?.errorMessage;
  switch (error.keyword) {
    case 'if':
    case 'oneOf':
    case 'anyOf':
      return undefined; // the failing branch reports the specific problem
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = closest(key, known);
      return {
        pointer: child(at, key),
        message: `unknown key '${key}'${guess ? ` (did you mean '${guess}'?)` : ''}`,
        at: 'key',
      };
    }
    case 'required':
      return {
        pointer: child(at, String(params.missingProperty)),
        message: `missing required field '${String(params.missingProperty)}'`,
      };
    case 'propertyNames': {
      const name = String(params.propertyName);
      const nameMessage = (error.schema as { errorMessage?: string } | undefined)?.errorMessage;
      return {
        pointer: child(at, name),
        message: `invalid key '${name}': ${nameMessage ?? 'not allowed here'}`,
        at: 'key',
      };
    }
    case 'discriminator': {
      const tag = String(params.tag);
      if (params.error === 'tag' && getAt(data, child(at, tag)) === undefined) {
        return { pointer: child(at, tag), message: `missing required field '${tag}'` };
      }
      const options = (
        (error.parentSchema as { oneOf?: { properties?: Record<string, { const?: unknown }> }[] })?.oneOf ?? []
      )
        .map((branch) => branch.properties?.[tag]?.const)
        .filter((v): v is string => typeof v === 'string');
      return { pointer: child(at, tag), message: `must be one of: ${options.join(', ')}` };
    }
    case 'type':
      return { pointer: at, message: typeMessage(String(params.type), getAt(data, at)) };
    case 'enum':
      return { pointer: at, message: `must be one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'const':
      return { pointer: at, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'pattern':
      // Pattern errors inside propertyNames repeat the propertyNames error.
      if ((error as { propertyName?: string }).propertyName !== undefined) return undefined;
      return { pointer: at, message: custom ?? `must match ${String(params.pattern)}` };
    case 'minLength':
      return { pointer: at, message: 'must not be empty' };
    case 'minItems':
      return {
        pointer: at,
        message: `must have at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`,
      };
    case 'minimum':
    case 'maximum':
      return { pointer: at, message: `must be ${error.keyword === 'minimum' ? '>=' : '<='} ${String(params.limit)}` };
    default:
      return { pointer: at, message: custom ?? error.message ?? 'is invalid' };
  }
}

const ARTICLES: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean (true or false)',
  object: 'a mapping (key: value)',
  array: 'a list',
  null: 'null',
};

function typeMessage(expected: string, actual: unknown): string {
  const wanted = expected
    .split(',')
    .map((t) => ARTICLES[t] ?? t)
    .join(' or ');
  const got =
    actual === null
      ? 'null'
      : Array.isArray(actual)
        ? 'a list'
        : typeof actual === 'object'
          ? 'a mapping'
          : typeof actual;
  // YAML reads `version: 1.0` as a number; tell the author how to keep it a string.
  const hint =
    expected === 'string' && (typeof actual === 'number' || typeof actual === 'boolean') ? ' (quote the value)' : '';
  return `must be ${wanted}, got ${got}${hint}`;
}

/** The known key nearest to a misspelt one, when it is near enough to be a likely typo. */
function closest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.ceil(key.length / 2)) + 1;
  for (const candidate of known) {
    // A truncated key (`timeout` for `timeout_ms`) is a likely slip even when the edit distance is large.
    if (key.length >= 4 && candidate.startsWith(key)) return candidate;
    const d = distance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
