/**
 * A YAML writer for JSON data (what a generated manifest is): block style, plain scalars where they cannot be
 * misread, everything else as JSON double-quoted strings (valid YAML 1.2 double-quoted scalars). No anchors or
 * aliases, so the manifest reader's alias limit never applies. It replaces `yaml`'s `stringify`, which spent
 * seconds building a node tree for manifests of thousands of tools; the output is checked by parsing it back
 * (test/openapi/yaml-text.test.ts and the corpus run compare it with the JSON value).
 */

/** Manifests with more tools than this write each tool's schemas as one-line JSON (flow YAML) to stay compact. */
export const FLOW_SCHEMAS_ABOVE_TOOLS = 200;

const SCHEMA_KEYS = new Set(['input_schema', 'output_schema']);
// Conservative: starts with a letter or `_`, no character YAML gives a meaning inside a plain scalar.
const PLAIN = /^[A-Za-z_][A-Za-z0-9_ ./-]*$/;
// Words YAML 1.2 (core) or YAML 1.1 readers would take for booleans or null.
const RESERVED = /^(?:true|false|null|yes|no|on|off|y|n)$/i;
// JSON.stringify leaves these raw, YAML requires them escaped (non-printable or line separators).
const UNPRINTABLE = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;

/** YAML text of a generated manifest, optionally under a header comment. */
export function manifestToYaml(manifest: Record<string, unknown>, header?: string): string {
  const tools = Array.isArray(manifest.tools) ? manifest.tools.length : 0;
  const flowSchemas = tools > FLOW_SCHEMAS_ABOVE_TOOLS;
  const out: string[] = [];
  if (header !== undefined) out.push(`# ${header.replace(/[\r\n]+/g, ' ')}`);
  if (Object.keys(manifest).length === 0) out.push('{}');
  else writeMapping(manifest, '', out, flowSchemas ? 1 : -1);
  return `${out.join('\n')}\n`;
}

/** A string as a YAML scalar: plain when unambiguous, else JSON-quoted with YAML's unprintables escaped too. */
export function yamlString(value: string): string {
  if (PLAIN.test(value) && !value.endsWith(' ') && !RESERVED.test(value)) return value;
  return jsonText(value);
}

function jsonText(value: unknown): string {
  return JSON.stringify(value).replace(
    UNPRINTABLE,
    (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  );
}

function scalar(value: unknown): string {
  if (typeof value === 'string') return yamlString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return String(value);
  return 'null';
}

function isEmptyCollection(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : undefined;
  if (value !== null && typeof value === 'object') return Object.keys(value).length === 0 ? '{}' : undefined;
  return undefined;
}

function key(name: string): string {
  const text = yamlString(name);
  // YAML limits implicit keys to 1024 characters; longer ones take the explicit `? key` form.
  return text.length > 1000 ? `? ${text}\n` : text;
}

/**
 * Writes a mapping's entries at `indent`. `schemaDepth` counts down to the level of a tool's mapping (1: the
 * manifest, whose `tools` hold them); at 0, schema keys are written as one-line JSON. -1 turns that off.
 */
function writeMapping(map: object, indent: string, out: string[], schemaDepth: number): void {
  for (const [name, value] of Object.entries(map)) {
    if (value === undefined) continue;
    const k = key(name);
    const sep = k.endsWith('\n') ? `${indent}:` : ':';
    const lead = `${indent}${k}${sep}`;
    const flow = schemaDepth === 0 && SCHEMA_KEYS.has(name) && value !== null && typeof value === 'object';
    if (flow) out.push(`${lead} ${jsonText(value)}`);
    else if (value === null || typeof value !== 'object') out.push(`${lead} ${scalar(value)}`);
    else {
      const empty = isEmptyCollection(value);
      if (empty) out.push(`${lead} ${empty}`);
      else {
        out.push(lead);
        const next = schemaDepth > 0 && name === 'tools' ? 0 : -1;
        if (Array.isArray(value)) writeSequence(value, `${indent}  `, out, next);
        else writeMapping(value, `${indent}  `, out, -1);
      }
    }
  }
}

function writeSequence(items: unknown[], indent: string, out: string[], schemaDepth: number): void {
  for (const item of items) {
    if (item === null || typeof item !== 'object' || isEmptyCollection(item)) {
      out.push(`${indent}- ${isEmptyCollection(item) ?? scalar(item)}`);
      continue;
    }
    // The item's first line goes after the dash; the rest keeps the item's indentation.
    const start = out.length;
    if (Array.isArray(item)) writeSequence(item, `${indent}  `, out, -1);
    else writeMapping(item, `${indent}  `, out, schemaDepth);
    out[start] = `${indent}- ${(out[start] ?? '').slice(indent.length + 2)}`;
  }
}
