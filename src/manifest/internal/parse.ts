import { dirname } from 'node:path';
import type { ValidationIssue } from '../../core/index.js';
import type { ConnectorManifest } from '../types.js';
import { checkConnector, inferKind } from './connector-checks.js';
import { isLegacy, legacyAuthIssues, legacyJsonSchema, mapLegacy } from './legacy.js';
import { manifestJsonSchema } from './manifest-schema.js';
import { normalise } from './normalise.js';
import { createSchemaChecker, type SchemaChecker } from './schema-check.js';
import { createStructureCheck, type RawIssue } from './structure-check.js';
import { checkTools } from './tool-checks.js';
import { isRecord, type Rec } from './values.js';
import { readYaml, type Locator } from './yaml-source.js';

/** Options of parseManifest. */
export interface ParseOptions {
  /** Named in every issue; its folder is the base for relative script paths unless baseDir is given. */
  file?: string;
  /** Base folder for relative `python.script` paths. */
  baseDir?: string;
}

/** The outcome of parseManifest: a normalised manifest with warnings, or every problem found. */
export type ParseResult =
  { ok: true; manifest: ConnectorManifest; warnings: ValidationIssue[] } | { ok: false; issues: ValidationIssue[] };

const checkCurrent = createStructureCheck(manifestJsonSchema);
const checkLegacy = createStructureCheck(legacyJsonSchema);
// Shared so that re-parsing a manifest (hot reload, reinstall) does not compile its tool schemas again.
let sharedSchemaChecker: SchemaChecker | undefined;

/** Parses, validates and normalises a manifest given as YAML/JSON text or as an object. */
export function parseManifest(input: string | Record<string, unknown>, options: ParseOptions = {}): ParseResult {
  try {
    return parseUnguarded(input, options);
  } catch (err) {
    // No input may crash a caller (REST handler, hot reload); a bug here becomes one reported issue.
    const issue: ValidationIssue = {
      pointer: '',
      message: `manifest could not be validated: ${(err as Error).message}`,
    };
    return { ok: false, issues: [withFile(issue, options.file)] };
  }
}

function parseUnguarded(input: string | Record<string, unknown>, options: ParseOptions): ParseResult {
  const { file } = options;
  const baseDir = options.baseDir ?? (file !== undefined ? dirname(file) : undefined);
  let data: unknown;
  let locator: Locator | undefined;
  if (typeof input === 'string') {
    const source = readYaml(input);
    if (source.syntaxIssues.length > 0) return { ok: false, issues: source.syntaxIssues.map((i) => withFile(i, file)) };
    data = source.data;
    locator = source;
  } else {
    try {
      // A private copy: normalisation must never alias the caller's object, and cycles must not hang us.
      data = JSON.parse(JSON.stringify(input)) as unknown;
    } catch (err) {
      return {
        ok: false,
        issues: [
          withFile({ pointer: '', message: `manifest is not JSON-serialisable: ${(err as Error).message}` }, file),
        ],
      };
    }
  }
  if (!isRecord(data)) {
    const position = locator?.locate('') ?? undefined;
    const got =
      data === null || data === undefined ? 'an empty document' : Array.isArray(data) ? 'a list' : typeof data;
    return {
      ok: false,
      issues: [
        withFile({ pointer: '', message: `manifest must be a mapping of fields, got ${got}`, ...position }, file),
      ],
    };
  }
  sharedSchemaChecker ??= createSchemaChecker();
  const schemas = sharedSchemaChecker;

  let current: Rec;
  let toSource = (pointer: string): string => pointer;
  const raw: RawIssue[] = [];
  if (isLegacy(data)) {
    const structural = checkLegacy(data);
    if (structural.length > 0) return fail(structural, locator, file);
    raw.push(...legacyAuthIssues(data));
    const mapping = mapLegacy(data);
    current = mapping.data;
    toSource = mapping.toSource;
  } else {
    current = data;
    const kind = inferKind(current);
    // The schema's kind-specific rules key on `kind`; give them the inferred one.
    raw.push(...checkCurrent(current.kind === undefined ? { ...current, kind } : current));
  }
  const kind = inferKind(current);
  raw.push(...checkConnector(current, kind, schemas).map((i) => ({ ...i, pointer: toSource(i.pointer) })));
  raw.push(...checkTools(current, kind, schemas).map((i) => ({ ...i, pointer: toSource(i.pointer) })));

  const errors = raw.filter((i) => i.severity !== 'warning');
  if (errors.length > 0) return fail(errors, locator, file);
  const warnings = locate(raw, locator, file);
  // YAML aliases share one JS object between uses; a private tree keeps consumers from mutating two tools at once.
  const manifest = structuredClone(normalise(current, kind as ConnectorManifest['kind'], baseDir));
  return { ok: true, manifest, warnings };
}

function fail(raw: RawIssue[], locator: Locator | undefined, file: string | undefined): ParseResult {
  return { ok: false, issues: locate(raw, locator, file) };
}

/** Attaches file, line and column; dedupes; orders by position so output reads top to bottom. */
function locate(raw: RawIssue[], locator: Locator | undefined, file: string | undefined): ValidationIssue[] {
  const seen = new Set<string>();
  const out: ValidationIssue[] = [];
  for (const issue of raw) {
    const key = `${issue.pointer}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const position = locator?.locate(issue.pointer, issue.at);
    out.push(withFile({ pointer: issue.pointer, message: issue.message, ...position }, file));
  }
  return out
    .map((issue, index) => ({ issue, index }))
    .sort(
      (a, b) =>
        (a.issue.line ?? 0) - (b.issue.line ?? 0) || (a.issue.column ?? 0) - (b.issue.column ?? 0) || a.index - b.index,
    )
    .map(({ issue }) => issue);
}

function withFile(issue: ValidationIssue, file: string | undefined): ValidationIssue {
  return file === undefined ? issue : { file, ...issue };
}
