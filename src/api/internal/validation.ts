import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import type { ValidationIssue } from '../../core/index.js';

/** Where in the request a schema applies, as Fastify names it. */
type HttpPart = 'body' | 'querystring' | 'params' | 'headers';

const LOCATION: Record<HttpPart, string> = {
  body: 'field',
  querystring: 'query parameter',
  params: 'path parameter',
  headers: 'header',
};

function newAjv(coerceTypes: boolean): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    // Rejecting unknown fields (instead of silently dropping them) is what tells a caller about a typo.
    removeAdditional: false,
    useDefaults: true,
    coerceTypes,
    // `parentSchema` gives us the field's own `x-error` message.
    verbose: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
  });
  (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
  // Annotations only: a field-specific message and OpenAPI examples.
  ajv.addKeyword({ keyword: 'x-error', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'example' });
  return ajv;
}

/**
 * Installs the request validators: bodies are validated strictly (no type coercion, unknown fields
 * rejected), path and query parameters coerce (`?limit=5` is a number).
 */
export function installValidators(app: FastifyInstance): void {
  const strict = newAjv(false);
  const coercing = newAjv(true);
  const compiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
  };
  app.setValidatorCompiler(compiler);
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** `/a/0/b` → `a[0].b`, the field name a person reads in a message. */
function fieldName(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`))
    .join('');
}

/** Converts Ajv errors into issues with JSON pointers and messages naming the field. */
export function toValidationIssues(errors: readonly ErrorObject[], part: string | undefined): ValidationIssue[] {
  const where = LOCATION[(part ?? 'body') as HttpPart] ?? 'field';
  const subject = (pointer: string): string =>
    pointer === '' ? (where === 'field' ? 'request body' : `${where}s`) : `${where} '${fieldName(pointer)}'`;
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    let pointer = e.instancePath;
    let message: string;
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'required') {
      pointer = `${pointer}/${escapePointer(String(params.missingProperty))}`;
      message = `${subject(pointer)} is required`;
    } else if (e.keyword === 'additionalProperties') {
      pointer = `${pointer}/${escapePointer(String(params.additionalProperty))}`;
      message = `${subject(pointer)} is not allowed`;
    } else if (e.keyword === 'propertyNames') {
      continue; // its inner error (carrying `propertyName`) says which name and why
    } else {
      const custom = (e.parentSchema as Record<string, unknown> | undefined)?.['x-error'];
      const types =
        e.keyword === 'type' && Array.isArray(params.type)
          ? `must be ${(params.type as string[]).join(' or ')}`
          : undefined;
      const text = typeof custom === 'string' ? custom : (types ?? e.message ?? 'is invalid');
      if (e.propertyName !== undefined) {
        pointer = `${pointer}/${escapePointer(e.propertyName)}`;
        message = `${subject(pointer)} has an invalid name: it ${text}`;
      } else {
        message = `${subject(pointer)} ${text}`;
      }
    }
    // anyOf/oneOf and the x-error override can repeat the same complaint; say it once.
    const key = `${pointer}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ pointer, message });
  }
  return issues;
}
