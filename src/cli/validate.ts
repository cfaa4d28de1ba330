import { readFile } from 'node:fs/promises';
import { formatIssues, parseManifest } from '../manifest/index.js';

/** Where `toolport validate` writes: anything with a `write(text)` (process.stdout, a test buffer). */
export interface ValidateOutput {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/**
 * Largest manifest file read; a descriptor beyond this is almost certainly the wrong file. Manifests generated
 * from big OpenAPI documents reach tens of MiB (DocuSign's: 36 MiB), hence the room.
 */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/**
 * `toolport validate FILE…`: checks each manifest, printing `file:line:col: message (pointer)` per issue
 * (stderr) and `file: ok (N tools)` per valid file (stdout). Resolves to the exit code: 0 when every file
 * is valid, 1 when any is invalid or unreadable, 2 when no file was given.
 */
export async function runValidate(files: string[], out: ValidateOutput): Promise<number> {
  if (files.length === 0) {
    out.stderr.write('usage: toolport validate FILE...\n');
    return 2;
  }
  let failed = false;
  for (const file of files) {
    let text: string;
    try {
      const buffer = await readFile(file);
      if (buffer.byteLength > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`);
      text = buffer.toString('utf8');
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      out.stderr.write(`${file}: cannot read file (${reason})\n`);
      failed = true;
      continue;
    }
    const result = parseManifest(text, { file });
    if (!result.ok) {
      out.stderr.write(`${formatIssues(result.issues)}\n`);
      failed = true;
      continue;
    }
    if (result.warnings.length > 0) {
      out.stderr.write(`${formatIssues(result.warnings.map((w) => ({ ...w, message: `warning: ${w.message}` })))}\n`);
    }
    // Always "tools": scripts grep this line, so its shape does not vary with the count.
    out.stdout.write(`${file}: ok (${result.manifest.tools.length} tools)\n`);
  }
  return failed ? 1 : 0;
}
