/** A YAML http connector manifest of about `bytes` (default 1 MiB; ~3,400 tools), like a large generated connector. */
export function bigManifestYaml(options: { bytes?: number; name?: string; broken?: boolean } = {}): string {
  const bytes = options.bytes ?? 1024 * 1024;
  let text = `name: ${options.name ?? 'big'}\nversion: 1.0.0\nkind: http\nhttp:\n  base_url: https://api.example.com\ntools:\n`;
  for (let i = 0; text.length < bytes - 400; i++) {
    // The broken variant has a few faults spread through the file: a bad type, a missing endpoint, a bad minimum.
    const fault = options.broken && i % 997 === 500;
    text +=
      `  - name: tool_${i}\n` +
      `    description: Tool number ${i} does a thing with items and returns them.\n` +
      (fault && i % 2 === 0 ? '' : `    endpoint: GET /items/${i}/{id}\n`) +
      `    input_schema:\n      type: ${fault ? 'objekt' : 'object'}\n      required: [id]\n      properties:\n` +
      `        id: { type: string, pattern: "^[a-z]{1,${(i % 50) + 1}}$" }\n` +
      `        n: { type: integer, minimum: ${fault ? '"low"' : i} }\n`;
  }
  return text;
}
