import { linearRegExpProblem, type JsonSchema } from '../../core/index.js';
import { isNode, lookupRef, type Node } from './refs.js';

/** Schema dialect of the source document: OpenAPI 3.0 / Swagger 2.0 schema objects, or 3.1 (JSON Schema 2020-12). */
export type Dialect = 'oas30' | 'oas31';

/** Converts OpenAPI schema objects into self-contained JSON Schema 2020-12 sharing one `$defs`. */
export interface SchemaConverter {
  /** The converted schema; references stay inside this converter's `$defs`. */
  convert(schema: unknown): JsonSchema;
  /** True when the schema (following references) is marked readOnly. */
  isReadOnly(schema: unknown): boolean;
  /** The definitions referenced so far (attach to the root schema). */
  defs(): Record<string, JsonSchema>;
}

export interface ConverterOptions {
  dialect: Dialect;
  /** `input` drops readOnly properties (the server sets them); `output` keeps everything. */
  mode: 'input' | 'output';
  /** Schema nodes inlined before every further `$ref` goes to `$defs` (keeps big specs linear). */
  inlineBudget?: number;
  /** Collects problems (dangling references) once per message. */
  warn?: (message: string) => void;
}

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
const SCALAR_KEYWORDS = [
  'title',
  'description',
  'format',
  'default',
  'const',
  'multipleOf',
  'maximum',
  'minimum',
  'maxLength',
  'minLength',
  'maxItems',
  'minItems',
  'uniqueItems',
  'maxProperties',
  'minProperties',
  'maxContains',
  'minContains',
  'readOnly',
  'writeOnly',
  'deprecated',
  'contentMediaType',
  'contentEncoding',
] as const;
const SCHEMA_KEYWORDS = [
  'additionalProperties',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
] as const;
const LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const;
const DEFAULT_BUDGET = 1000;

/** Creates a converter for the schemas of one tool side (its input or its output). */
export function createSchemaConverter(doc: Node, options: ConverterOptions): SchemaConverter {
  const defs: Record<string, JsonSchema> = {};
  const keyOfRef = new Map<string, string>();
  const stack: string[] = [];
  let budget = options.inlineBudget ?? DEFAULT_BUDGET;

  const defRef = (ref: string, target: unknown): JsonSchema => {
    let key = keyOfRef.get(ref);
    if (key === undefined) {
      key = uniqueKey(ref, defs);
      keyOfRef.set(ref, key);
      defs[key] = {};
      // The definition's own body may refer back to it: that becomes `#/$defs/key` again.
      const saved = stack.splice(0);
      stack.push(ref);
      defs[key] = convertNode(target);
      stack.splice(0, stack.length, ...saved);
    }
    return { $ref: `#/$defs/${key}` };
  };

  const convertRef = (node: Node, ref: string): JsonSchema => {
    const target = lookupRef(doc, ref);
    if (target === undefined) {
      options.warn?.(`$ref '${ref}' cannot be resolved; it is treated as any value`);
      return {};
    }
    const resolved = stack.includes(ref) || budget <= 0 ? defRef(ref, target) : inline(ref, target);
    // OpenAPI 3.1 allows annotations next to $ref; 3.0 ignores them.
    if (options.dialect === 'oas31' && typeof node.description === 'string')
      return { ...resolved, description: node.description };
    return resolved;
  };

  const inline = (ref: string, target: unknown): JsonSchema => {
    stack.push(ref);
    try {
      return convertNode(target);
    } finally {
      stack.pop();
    }
  };

  const convertNode = (value: unknown): JsonSchema => {
    if (!isNode(value)) return {};
    budget -= 1;
    if (typeof value.$ref === 'string') return convertRef(value, value.$ref);
    const out: JsonSchema = {};
    const type = convertType(value.type);
    if (type !== undefined) out.type = type;
    for (const key of SCALAR_KEYWORDS) if (value[key] !== undefined) out[key] = value[key];
    if (Array.isArray(value.enum) && value.enum.length > 0) out.enum = value.enum;
    if (value.example !== undefined) out.examples = [value.example];
    if (Array.isArray(value.examples)) out.examples = value.examples;
    if (typeof value.pattern === 'string' && isUnicodeRegExp(value.pattern)) out.pattern = value.pattern;
    exclusiveBounds(value, out, options.dialect);
    if (isNode(value.properties)) {
      const properties: Record<string, JsonSchema> = {};
      const dropped = new Set<string>();
      for (const [name, sub] of Object.entries(value.properties)) {
        if (options.mode === 'input' && isReadOnly(sub)) dropped.add(name);
        else properties[name] = convertNode(sub);
      }
      out.properties = properties;
      const required = requiredList(value.required).filter((name) => !dropped.has(name));
      if (required.length > 0) out.required = required;
    } else {
      const required = requiredList(value.required);
      if (required.length > 0) out.required = required;
    }
    if (isNode(value.patternProperties)) {
      const patterns: Record<string, JsonSchema> = {};
      for (const [name, sub] of Object.entries(value.patternProperties))
        if (isUnicodeRegExp(name)) patterns[name] = convertNode(sub);
      out.patternProperties = patterns;
    }
    for (const key of SCHEMA_KEYWORDS) {
      const sub = value[key];
      if (typeof sub === 'boolean') out[key] = sub;
      else if (isNode(sub)) out[key] = convertNode(sub);
    }
    if (Array.isArray(value.items)) out.prefixItems = value.items.map(convertNode);
    else if (isNode(value.items) || typeof value.items === 'boolean')
      out.items = typeof value.items === 'boolean' ? value.items : convertNode(value.items);
    for (const key of LIST_KEYWORDS) {
      const list = value[key];
      if (Array.isArray(list) && list.length > 0) out[key] = list.map(convertNode);
    }
    if (value.type === 'file') Object.assign(out, { type: 'string', format: 'binary' });
    return options.dialect === 'oas30' && value.nullable === true ? nullable(out) : out;
  };

  const isReadOnly = (value: unknown): boolean => {
    let current = value;
    for (let hops = 0; isNode(current) && typeof current.$ref === 'string' && hops < 32; hops += 1)
      current = lookupRef(doc, current.$ref);
    return isNode(current) && current.readOnly === true;
  };

  return { convert: convertNode, isReadOnly, defs: () => defs };
}

function convertType(type: unknown): JsonSchema['type'] {
  if (typeof type === 'string') return TYPES.has(type) ? type : undefined;
  if (Array.isArray(type)) {
    const list = [...new Set(type.filter((t): t is string => typeof t === 'string' && TYPES.has(t)))];
    return list.length > 0 ? list : undefined;
  }
  return undefined;
}

/** OpenAPI 3.0 `exclusiveMinimum: true` qualifies `minimum`; 2020-12 carries the bound itself. */
function exclusiveBounds(value: Node, out: JsonSchema, dialect: Dialect): void {
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    const flag = value[exclusive];
    if (typeof flag === 'number') out[exclusive] = flag;
    else if (flag === true && dialect === 'oas30' && typeof value[bound] === 'number') {
      out[exclusive] = value[bound];
      delete out[bound];
    }
  }
}

function nullable(schema: JsonSchema): JsonSchema {
  if (typeof schema.type === 'string') {
    const out: JsonSchema = { ...schema, type: [schema.type, 'null'] };
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) out.enum = [...schema.enum, null];
    return out;
  }
  if (Array.isArray(schema.type))
    return schema.type.includes('null') ? schema : { ...schema, type: [...schema.type, 'null'] };
  return { anyOf: [schema, { type: 'null' }] };
}

function requiredList(value: unknown): string[] {
  return Array.isArray(value) ? [...new Set(value.filter((v): v is string => typeof v === 'string'))] : [];
}

function uniqueKey(ref: string, defs: Record<string, JsonSchema>): string {
  const last = ref.split('/').pop() ?? 'def';
  const base = (decodePointer(last).replace(/[^A-Za-z0-9_.-]/g, '_') || 'def').slice(0, 80);
  let key = base;
  for (let n = 2; Object.hasOwn(defs, key); n += 1) key = `${base}_${n}`;
  return key;
}

function decodePointer(segment: string): string {
  try {
    return decodeURIComponent(segment).replaceAll('~1', '/').replaceAll('~0', '~');
  } catch {
    return segment;
  }
}

/**
 * Patterns the gateway cannot enforce are dropped rather than failing the tool: those invalid with the `u`
 * flag Ajv compiles with, and those its linear-time engine cannot run (lookaround, backreferences), which the
 * manifest validator refuses. The API still checks its own input.
 */
function isUnicodeRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
  } catch {
    return false;
  }
  return linearRegExpProblem(pattern) === undefined;
}
