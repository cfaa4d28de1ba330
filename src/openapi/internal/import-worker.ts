/**
 * Worker thread entry of the off-thread importer (see off-thread.ts): parses and maps one document per message
 * and answers with the preview as JSON text, so the server's event loop never runs the import itself.
 */
import { parentPort } from 'node:worker_threads';
import { answerWorkerJobs } from '../../core/index.js';
import { buildManifest, type ImportOptions } from './build.js';
import { loadOpenApiDocument } from './load.js';

/** A job: the document as JSON/YAML text and the import options. */
export interface ImportJob {
  id: number;
  spec: string;
  options: ImportOptions;
}

/** Answers with the preview (`{manifest, tools, skipped, warnings, stats}`) as JSON text. */
async function handle(job: ImportJob): Promise<string> {
  // Documents sent to the server are self-contained: no file is read and no URL fetched for them.
  const { doc } = await loadOpenApiDocument({ kind: 'text', value: job.spec }, { externalRefs: false });
  const { manifest, tools, skipped, warnings, stats } = buildManifest(doc, job.options);
  return JSON.stringify({ manifest, tools, skipped, warnings, stats });
}

if (parentPort) answerWorkerJobs<ImportJob, string>(parentPort, handle);
