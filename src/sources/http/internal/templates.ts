import type { ConfigKeySpec } from '../../../manifest/types.js';

/** A string split into literal text and `${config.KEY}` references, parsed once at creation. */
export type Template = readonly (string | { key: string })[];

const REFERENCE = /\$\{config\.([A-Za-z0-9_.-]+)\}/g;

/** Parses `${config.KEY}` references out of `text`. */
export function compileTemplate(text: string): Template {
  const parts: (string | { key: string })[] = [];
  let last = 0;
  for (const match of text.matchAll(REFERENCE)) {
    const index = match.index;
    if (index > last) parts.push(text.slice(last, index));
    parts.push({ key: match[1] ?? '' });
    last = index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

/** Thrown (and turned into an error result) when a referenced config key has no value. */
export class MissingConfigError extends Error {
  override readonly name = 'MissingConfigError';
  constructor(readonly key: string) {
    // The key is safe to show; a value never is.
    super(`missing config value '${key}'`);
  }
}

/** Looks config keys up in the install-time values, then in the manifest defaults. */
export function createConfigResolver(
  values: Record<string, string>,
  specs: Record<string, ConfigKeySpec>,
): (template: Template) => string {
  return (template) => {
    let out = '';
    for (const part of template) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      const value = values[part.key] ?? specs[part.key]?.default;
      if (value === undefined || value === '') throw new MissingConfigError(part.key);
      out += value;
    }
    return out;
  };
}

/** The config values that must never appear in a result or log: secret keys, and every key an auth field uses. */
export function collectSecretValues(
  values: Record<string, string>,
  specs: Record<string, ConfigKeySpec>,
  authTemplates: readonly Template[],
): string[] {
  const keys = new Set(
    Object.entries(specs)
      .filter(([, spec]) => spec.secret)
      .map(([key]) => key),
  );
  for (const template of authTemplates) {
    for (const part of template) if (typeof part !== 'string') keys.add(part.key);
  }
  const secrets: string[] = [];
  for (const key of keys) {
    const value = values[key] ?? specs[key]?.default;
    if (value !== undefined && value !== '') secrets.push(value);
  }
  return secrets;
}
