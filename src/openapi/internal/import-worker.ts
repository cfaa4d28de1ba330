/**
 * Worker thread entry of the off-thread importer (see off-thread.ts): parses and maps one document per message
 * and answers with the preview as JSON text, so the server's event loop never runs the import itself.
 */
import { parentPort } from 'node:worker_threads';
import { isToolportError } from '../../core/index.js';
import { buildManifest, type ImportOptions } from './build.js';
import { loadOpenApiDocument } from './load.js';

/** A job: the document as JSON/YAML text and the import options. */
export interface ImportJob {
  id: number;
  spec: string;
  options: ImportOptions;
}

/** The answer: the preview (`{manifest, tools, skipped, warnings, stats}`) as JSON text, or the error. */
export type ImportAnswer =
  | { id: number; ok: true; json: string }
  | { id: number; ok: false; error: { code: string; message: string; details?: unknown } };

async function handle(job: ImportJob): Promise<ImportAnswer> {
  try {
    // Documents sent to the server are self-contained: no file is read and no URL fetched for them.
    const { doc } = await loadOpenApiDocument({ kind: 'text', value: job.spec }, { externalRefs: false });
    const result = buildManifest(doc, job.options);
    const { manifest, tools, skipped, warnings, stats } = result;
    return { id: job.id, ok: true, json: JSON.stringify({ manifest, tools, skipped, warnings, stats }) };
  } catch (err) {
    if (isToolportError(err)) {
      return {
        id: job.id,
        ok: false,
        error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
      };
    }
    return { id: job.id, ok: false, error: { code: 'internal', message: (err as Error).message } };
  }
}

parentPort?.on('message', (job: ImportJob) => {
  void handle(job).then((answer) => parentPort?.postMessage(answer));
});
