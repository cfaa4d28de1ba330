/**
 * Worker thread entry of parseManifestOffThread (see off-thread.ts): parses one manifest text per message and
 * answers with the ParseResult, so the server's event loop never parses a large manifest itself.
 */
import { parentPort } from 'node:worker_threads';
import { answerWorkerJobs } from '../../core/index.js';
import { parseManifest, type ParseOptions, type ParseResult } from './parse.js';

/** A job: the manifest text and the parse options. */
export interface ParseJob {
  id: number;
  text: string;
  options: ParseOptions;
}

if (parentPort) answerWorkerJobs<ParseJob, ParseResult>(parentPort, (job) => parseManifest(job.text, job.options));
