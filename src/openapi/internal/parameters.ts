import type { JsonSchema } from '../../core/index.js';
import type { ArgLocation } from '../../manifest/index.js';
import { jsonContent } from './media.js';
import { derefObject, isNode, type Node } from './refs.js';
import type { SchemaConverter } from './schema-convert.js';

/** One OpenAPI parameter (path, query, header, cookie) as a tool argument, before naming. */
export interface ParamSpec {
  wire: string;
  location: Exclude<ArgLocation, 'body'>;
  schema: JsonSchema;
  required: boolean;
}

/** The parameters of an operation, split by what they become. */
export interface CollectedParameters {
  params: ParamSpec[];
  /** Swagger 2.0 `in: body` parameter. */
  body?: Node;
  /** Swagger 2.0 `in: formData` parameters. */
  formData: Node[];
}

// Described by the document but set by the HTTP runtime (OpenAPI says to ignore them as parameters).
const RUNTIME_HEADERS = new Set(['accept', 'content-type', 'authorization']);
const LOCATIONS = new Set(['path', 'query', 'header', 'cookie']);
// Swagger 2.0 parameter fields that are JSON Schema keywords.
const SWAGGER2_SCHEMA_FIELDS = [
  'type',
  'format',
  'items',
  'enum',
  'default',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'multipleOf',
];

/** Merges path-level and operation-level parameters (the operation's win) and converts their schemas. */
export function collectParameters(
  doc: Node,
  pathItem: Node,
  operation: Node,
  converter: SchemaConverter,
  supplied?: { in: string; name: string },
): CollectedParameters {
  const merged = new Map<string, Node>();
  for (const list of [pathItem.parameters, operation.parameters]) {
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      const param = derefObject(doc, raw);
      if (!param || typeof param.name !== 'string' || typeof param.in !== 'string') continue;
      merged.set(`${param.in}:${param.name}`, param);
    }
  }
  const out: CollectedParameters = { params: [], formData: [] };
  for (const param of merged.values()) {
    const name = param.name as string;
    const location = param.in as string;
    if (location === 'body') out.body = param;
    else if (location === 'formData') out.formData.push(param);
    if (!LOCATIONS.has(location)) continue;
    if (location === 'header' && RUNTIME_HEADERS.has(name.toLowerCase())) continue;
    if (supplied && supplied.in === location && sameName(supplied.name, name, location)) continue;
    out.params.push({
      wire: name,
      location: location as ParamSpec['location'],
      schema: parameterSchema(param, converter),
      required: location === 'path' || param.required === true,
    });
  }
  return out;
}

function sameName(a: string, b: string, location: string): boolean {
  return location === 'header' ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/** The JSON Schema of a parameter: `schema`, the JSON entry of `content`, or Swagger 2.0 inline fields. */
export function parameterSchema(param: Node, converter: SchemaConverter): JsonSchema {
  let schema: JsonSchema;
  if (isNode(param.schema)) schema = converter.convert(param.schema);
  else if (isNode(param.content)) {
    const media = jsonContent(param.content) ?? firstMedia(param.content);
    schema = media && isNode(media[1].schema) ? converter.convert(media[1].schema) : {};
  } else schema = converter.convert(swagger2Schema(param));
  if (typeof param.description === 'string' && schema.description === undefined && schema.$ref === undefined)
    schema = { ...schema, description: param.description };
  if (param.deprecated === true) schema = { ...schema, deprecated: true };
  return schema;
}

function firstMedia(content: Node): [string, Node] | undefined {
  const entry = Object.entries(content).find(([, v]) => isNode(v));
  return entry as [string, Node] | undefined;
}

/** A Swagger 2.0 non-body parameter's inline type fields as an OpenAPI 3.0-style schema object. */
export function swagger2Schema(param: Node): Node {
  const schema: Node = {};
  for (const key of SWAGGER2_SCHEMA_FIELDS) if (param[key] !== undefined) schema[key] = param[key];
  if (isNode(param.items)) schema.items = swagger2Schema(param.items);
  return schema;
}
