import type { JsonSchema } from '../../core/index.js';
import type { ArgLocation } from '../../manifest/index.js';
import { planBody, responseSchema } from './body.js';
import { argName } from './naming.js';
import { collectParameters, type ParamSpec } from './parameters.js';
import { isNode, type Node } from './refs.js';
import { createSchemaConverter, type Dialect } from './schema-convert.js';

/** What every operation mapping shares. */
export interface MappingContext {
  doc: Node;
  dialect: Dialect;
  /** The apiKey parameter the connector auth already sends. */
  supplied?: { in: string; name: string };
  outputSchemas: boolean;
  warn: (message: string) => void;
}

/** One operation of the document. */
export interface OperationRef {
  method: string;
  path: string;
  pathItem: Node;
  operation: Node;
}

/** A mapped operation: the manifest tool without its name, or the reason it cannot be mapped. */
export type Mapped = { ok: true; tool: Record<string, unknown> } | { ok: false; reason: string };

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);
const NO_BODY = new Set(['GET', 'HEAD']);
const QUERY_DEFAULT = new Set(['GET', 'DELETE', 'HEAD']);
const MAX_DESCRIPTION = 2000;
// Output schemas document and check responses; past this size (GitHub's repository objects …) they cost more to
// compile on every install than they are worth, so they are left out with a warning.
const MAX_OUTPUT_SCHEMA_CHARS = 40_000;

/** Maps one operation onto a manifest tool (name assigned by the caller). */
export function mapOperation(ctx: MappingContext, ref: OperationRef): Mapped {
  const method = ref.method.toUpperCase();
  if (!METHODS.has(method)) return { ok: false, reason: `method ${method} is not supported by HTTP connectors` };
  const { doc } = ctx;
  const input = createSchemaConverter(doc, { dialect: ctx.dialect, mode: 'input', warn: ctx.warn });
  const collected = collectParameters(doc, ref.pathItem, ref.operation, input, ctx.supplied);
  const body = planBody(doc, ref.operation, collected, input);
  if (body.kind === 'unsupported') return { ok: false, reason: body.reason };
  if (body.kind !== 'none' && NO_BODY.has(method) && body.required)
    return { ok: false, reason: `${method} operation with a required request body` };

  const names = new Set<string>();
  const claim = (wire: string, location: string): string => {
    let name = argName(wire);
    if (names.has(name)) name = argName(`${wire}_${location}`);
    for (let n = 2; names.has(name); n += 1) name = argName(`${wire}_${location}_${n}`);
    names.add(name);
    return name;
  };
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  const args: Record<string, ArgLocation> = {};
  const rename: Record<string, string> = {};
  const pathArgs = new Map<string, string>();
  const declared = placeholders(ref.path);

  const params: ParamSpec[] = collected.params.filter((p) => p.location !== 'path' || declared.includes(p.wire));
  for (const wire of declared) {
    if (!params.some((p) => p.location === 'path' && p.wire === wire))
      params.push({ wire, location: 'path', schema: { type: 'string' }, required: true });
  }
  // Path parameters first: their names must survive as `{name}` placeholders.
  params.sort((a, b) => Number(b.location === 'path') - Number(a.location === 'path'));
  for (const param of params) {
    const name = claim(param.wire, param.location);
    properties[name] = param.schema;
    if (param.required) required.push(name);
    if (param.location === 'path') pathArgs.set(param.wire, name);
    else {
      if (param.location !== 'query' || !QUERY_DEFAULT.has(method)) args[name] = param.location;
      if (name !== param.wire) rename[name] = param.wire;
    }
  }

  const http: Record<string, unknown> = { method, path: rewritePath(ref.path, pathArgs) };
  if (body.kind === 'json' || body.kind === 'form') {
    if (NO_BODY.has(method)) ctx.warn(`${method} ${ref.path}: optional request body left out (${method} has no body)`);
    else {
      if (body.kind === 'form') http.body_format = 'form';
      const flat = flattenable(body.schema, names);
      if (flat) {
        for (const [wire, schema] of Object.entries(flat.properties)) {
          const name = claim(wire, 'body');
          properties[name] = schema;
          if (body.required && flat.required.includes(wire)) required.push(name);
          if (QUERY_DEFAULT.has(method)) args[name] = 'body';
          if (name !== wire) rename[name] = wire;
        }
      } else {
        const name = claim(names.has('body') ? 'request_body' : 'body', 'body');
        properties[name] = body.schema.description ? body.schema : { ...body.schema, description: 'Request body' };
        if (body.required) required.push(name);
        http.body_arg = name;
      }
    }
  }
  if (Object.keys(args).length > 0) http.args = args;
  if (Object.keys(rename).length > 0) http.rename = rename;

  const inputSchema: JsonSchema = { type: 'object', properties };
  if (required.length > 0) inputSchema.required = [...new Set(required)];
  inputSchema.additionalProperties = false;
  const inputDefs = input.defs();
  if (Object.keys(inputDefs).length > 0) inputSchema.$defs = inputDefs;

  const tool: Record<string, unknown> = {};
  const summary = text(ref.operation.summary);
  if (summary) tool.title = summary.slice(0, 200);
  tool.description = describe(method, ref.path, ref.operation);
  tool.input_schema = inputSchema;
  if (ctx.outputSchemas) {
    const output = outputSchema(ctx, ref.operation);
    if (output) tool.output_schema = output;
  }
  if (method === 'GET' || method === 'HEAD') tool.annotations = { readOnlyHint: true };
  else if (method === 'DELETE') tool.annotations = { readOnlyHint: false, destructiveHint: true };
  tool.http = http;
  return { ok: true, tool };
}

function outputSchema(ctx: MappingContext, operation: Node): JsonSchema | undefined {
  const converter = createSchemaConverter(ctx.doc, { dialect: ctx.dialect, mode: 'output', warn: ctx.warn });
  const schema = responseSchema(ctx.doc, operation, converter);
  if (!schema) return undefined;
  const defs = converter.defs();
  const kind = shapeOf(schema, defs, 0);
  if (kind === 'unknown') return undefined;
  // The HTTP runtime wraps non-object JSON as `{result: value}`; the schema says the same.
  let root: JsonSchema =
    kind === 'object'
      ? Array.isArray(schema.type)
        ? { ...schema, type: 'object' }
        : schema
      : { type: 'object', properties: { result: schema }, required: ['result'] };
  if (Object.keys(defs).length > 0) root = { ...root, $defs: defs };
  if (JSON.stringify(root).length > MAX_OUTPUT_SCHEMA_CHARS) {
    ctx.warn(`output schemas larger than ${MAX_OUTPUT_SCHEMA_CHARS} characters are left out`);
    return undefined;
  }
  return root;
}

type Shape = 'object' | 'other' | 'unknown';

function shapeOf(schema: JsonSchema, defs: Record<string, JsonSchema>, depth: number): Shape {
  if (depth > 16) return 'unknown';
  if (typeof schema.$ref === 'string') {
    const target = defs[schema.$ref.replace('#/$defs/', '')];
    return target ? shapeOf(target, defs, depth + 1) : 'unknown';
  }
  if (schema.type === 'object') return 'object';
  if (Array.isArray(schema.type))
    return schema.type.includes('object')
      ? schema.type.length === 2 && schema.type.includes('null')
        ? 'object'
        : 'unknown'
      : 'other';
  if (typeof schema.type === 'string') return 'other';
  if (isNode(schema.properties) || isNode(schema.additionalProperties)) return 'object';
  const members = (key: string): JsonSchema[] => (Array.isArray(schema[key]) ? (schema[key] as JsonSchema[]) : []);
  if (members('allOf').some((m) => shapeOf(m, defs, depth + 1) === 'object')) return 'object';
  const alternatives = [...members('oneOf'), ...members('anyOf')];
  if (alternatives.length > 0 && alternatives.every((m) => shapeOf(m, defs, depth + 1) === 'object')) return 'object';
  return 'unknown';
}

/** The body schema's properties when they can become top-level arguments without clashing. */
function flattenable(
  schema: JsonSchema,
  taken: ReadonlySet<string>,
): { properties: Record<string, JsonSchema>; required: string[] } | undefined {
  if (!isNode(schema.properties) || (schema.type !== undefined && schema.type !== 'object')) return undefined;
  for (const key of ['allOf', 'oneOf', 'anyOf', 'not', 'if', 'patternProperties', '$ref', 'discriminator'])
    if (schema[key] !== undefined) return undefined;
  if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) return undefined;
  const properties = schema.properties as Record<string, JsonSchema>;
  const wires = Object.keys(properties);
  if (wires.length === 0) return undefined;
  if (wires.some((w) => taken.has(argName(w)) || argName(w) === 'body')) return undefined;
  return { properties, required: Array.isArray(schema.required) ? (schema.required as string[]) : [] };
}

function placeholders(path: string): string[] {
  return [...path.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1] ?? '');
}

function rewritePath(path: string, names: ReadonlyMap<string, string>): string {
  const pathOnly = path.split('?')[0] ?? path;
  return pathOnly.replace(/\{([^{}]+)\}/g, (_, wire: string) => `{${names.get(wire) ?? wire}}`);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function describe(method: string, path: string, operation: Node): string {
  const parts = [text(operation.summary), text(operation.description)].filter((p): p is string => p !== undefined);
  const unique = parts.length === 2 && parts[1]?.startsWith(parts[0] ?? '') ? [parts[1]] : parts;
  let description = unique.join('\n\n') || `${method} ${path}`;
  if (operation.deprecated === true) description = `Deprecated. ${description}`;
  return description.length > MAX_DESCRIPTION ? `${description.slice(0, MAX_DESCRIPTION - 1)}…` : description;
}
