import { isNode, type Node } from './refs.js';

const JSON_MEDIA = /^application\/(?:[\w.+-]+\+)?json\b|^\*\/\*$|^application\/\*$/i;
const XML_MEDIA = /^(?:application|text)\/(?:[\w.+-]+\+)?xml\b/i;
export const FORM_MEDIA = 'application/x-www-form-urlencoded';
export const MULTIPART_MEDIA = 'multipart/form-data';

/** True for JSON media types (`application/json`, `application/problem+json`, `*\/*`). */
export function isJsonMedia(type: string): boolean {
  return JSON_MEDIA.test(type.trim());
}

/** True for XML media types. */
export function isXmlMedia(type: string): boolean {
  return XML_MEDIA.test(type.trim());
}

/** The JSON entry of an OpenAPI 3 `content` map: `[mediaType, mediaObject]`. */
export function jsonContent(content: unknown): [string, Node] | undefined {
  if (!isNode(content)) return undefined;
  for (const [type, media] of Object.entries(content)) if (isJsonMedia(type) && isNode(media)) return [type, media];
  return undefined;
}

/** Why a set of media types cannot be sent or read (multipart, XML only, other). */
export function unsupportedMediaReason(types: readonly string[], what: string): string {
  if (types.some((t) => t.toLowerCase().startsWith(MULTIPART_MEDIA))) return `multipart ${what} (file upload)`;
  if (types.length > 0 && types.every(isXmlMedia)) return `XML-only ${what}`;
  return `${what} of type ${types.join(', ') || 'unknown'} (only JSON and form bodies are supported)`;
}
