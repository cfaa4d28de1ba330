import { isRecord } from '../../core/index.js';

/** A JSON value of an OpenAPI document (objects are plain records). */
export type Node = Record<string, unknown>;

/** True for a plain JSON object. */
export const isNode: (value: unknown) => value is Node = isRecord;

/** The value a local `$ref` (`#/a/b`) points at inside `doc`, or undefined. */
export function lookupRef(doc: Node, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let fragment: string;
  try {
    fragment = decodeURIComponent(ref.slice(1));
  } catch {
    return undefined;
  }
  if (fragment === '') return doc;
  if (!fragment.startsWith('/')) return undefined;
  let node: unknown = doc;
  for (const raw of fragment.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isNode(node)) node = Object.hasOwn(node, key) ? node[key] : undefined;
    else return undefined;
  }
  return node;
}

/**
 * Follows `$ref` chains of a non-schema object (parameter, request body, response, security scheme);
 * a cycle or a dangling reference yields undefined.
 */
export function derefObject(doc: Node, value: unknown): Node | undefined {
  const seen = new Set<string>();
  let current = value;
  while (isNode(current) && typeof current.$ref === 'string') {
    if (seen.has(current.$ref) || seen.size > 32) return undefined;
    seen.add(current.$ref);
    current = lookupRef(doc, current.$ref);
  }
  return isNode(current) ? current : undefined;
}
