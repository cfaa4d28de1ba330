import type { JsonSchema } from '../../core/index.js';
import { FORM_MEDIA, isJsonMedia, jsonContent, MULTIPART_MEDIA, unsupportedMediaReason } from './media.js';
import type { CollectedParameters } from './parameters.js';
import { parameterSchema } from './parameters.js';
import { derefObject, isNode, type Node } from './refs.js';
import type { SchemaConverter } from './schema-convert.js';

/** What the operation's request body becomes. */
export type BodyPlan =
  | { kind: 'none' }
  | { kind: 'json' | 'form'; schema: JsonSchema; required: boolean }
  | { kind: 'unsupported'; reason: string; required: boolean };

/** Reads the request body of an OpenAPI 3 operation or the body/formData parameters of a Swagger 2.0 one. */
export function planBody(
  doc: Node,
  operation: Node,
  collected: CollectedParameters,
  converter: SchemaConverter,
): BodyPlan {
  if (typeof doc.swagger === 'string') return swagger2Body(doc, operation, collected, converter);
  const body = derefObject(doc, operation.requestBody);
  if (!body) return { kind: 'none' };
  const required = body.required === true;
  const content = isNode(body.content) ? body.content : {};
  const json = jsonContent(content);
  if (json) return { kind: 'json', schema: isNode(json[1].schema) ? converter.convert(json[1].schema) : {}, required };
  const form = content[FORM_MEDIA];
  if (isNode(form))
    return { kind: 'form', schema: isNode(form.schema) ? converter.convert(form.schema) : {}, required };
  return { kind: 'unsupported', reason: unsupportedMediaReason(Object.keys(content), 'request body'), required };
}

function swagger2Body(
  doc: Node,
  operation: Node,
  collected: CollectedParameters,
  converter: SchemaConverter,
): BodyPlan {
  const consumes = mediaList(operation.consumes) ?? mediaList(doc.consumes) ?? [];
  if (collected.body) {
    const required = collected.body.required === true;
    if (consumes.length > 0 && !consumes.some(isJsonMedia))
      return { kind: 'unsupported', reason: unsupportedMediaReason(consumes, 'request body'), required };
    const schema = isNode(collected.body.schema) ? converter.convert(collected.body.schema) : {};
    return { kind: 'json', schema, required };
  }
  if (collected.formData.length === 0) return { kind: 'none' };
  const required = collected.formData.some((p) => p.required === true);
  const hasFile = collected.formData.some((p) => p.type === 'file');
  if (hasFile || (consumes.length > 0 && !consumes.includes(FORM_MEDIA)))
    return {
      kind: 'unsupported',
      reason: unsupportedMediaReason(hasFile ? [MULTIPART_MEDIA] : consumes, 'request body'),
      required,
    };
  const properties: Record<string, JsonSchema> = {};
  const names: string[] = [];
  for (const param of collected.formData) {
    const name = String(param.name);
    properties[name] = parameterSchema(param, converter);
    if (param.required === true) names.push(name);
  }
  return {
    kind: 'form',
    schema: { type: 'object', properties, ...(names.length > 0 ? { required: names } : {}) },
    required,
  };
}

function mediaList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

/** Output side: the schema of the first 2xx JSON response, when there is one. */
export function responseSchema(doc: Node, operation: Node, converter: SchemaConverter): JsonSchema | undefined {
  const responses = isNode(operation.responses) ? operation.responses : {};
  const codes = Object.keys(responses)
    .filter((code) => /^2(\d\d|XX)$/i.test(code))
    .sort();
  const swagger2 = typeof doc.swagger === 'string';
  const produces = mediaList(operation.produces) ?? mediaList(doc.produces) ?? [];
  for (const code of codes) {
    const response = derefObject(doc, responses[code]);
    if (!response) continue;
    if (swagger2) {
      if (!isNode(response.schema)) continue;
      if (produces.length > 0 && !produces.some(isJsonMedia)) return undefined;
      return converter.convert(response.schema);
    }
    const json = jsonContent(response.content);
    if (json && isNode(json[1].schema)) return converter.convert(json[1].schema);
    return undefined;
  }
  return undefined;
}
