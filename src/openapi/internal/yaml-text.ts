import { stringify } from 'yaml';

/** YAML text of a generated manifest, optionally under a header comment; no anchors or aliases. */
export function manifestToYaml(manifest: Record<string, unknown>, header?: string): string {
  const body = stringify(manifest, { lineWidth: 0, aliasDuplicateObjects: false });
  return header === undefined ? body : `# ${header.replace(/[\r\n]+/g, ' ')}\n${body}`;
}
