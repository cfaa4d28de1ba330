import {
  LineCounter,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  type Document,
  type Node,
} from 'yaml';
import type { ValidationIssue } from '../../core/index.js';
import { joinPointer, splitPointer } from './pointer.js';

/** A position in the source text, 1-based. */
export interface Position {
  line: number;
  column: number;
}

/** Maps JSON pointers of the parsed data back to source positions. */
export interface Locator {
  /** Position of the value at `pointer` (or, for a key error, of its key); the nearest existing ancestor when absent. */
  locate(pointer: string, at?: 'key' | 'value'): Position | undefined;
}

/** The result of reading a manifest text: plain data, syntax problems, and a locator. */
export interface SourceDocument extends Locator {
  data: unknown;
  syntaxIssues: ValidationIssue[];
}

type Step = { node: Node | null; keyNode?: Node };

const MAX_ALIASES = 100;

/** Parses YAML (or JSON) keeping node ranges so every later issue can name a line and column. */
export function readYaml(text: string): SourceDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    keepSourceTokens: true,
    merge: true,
    uniqueKeys: true,
    prettyErrors: false,
  });
  const toPos = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const syntaxIssues: ValidationIssue[] = doc.errors.map((err) => {
    const offset = err.pos[0];
    const first = err.message.split('\n')[0] ?? err.message;
    // `endpoint: GET /a/{id}` inside `{ … }` is the classic slip; say how to fix it.
    const hint = /flow-(map|seq)/.test(first)
      ? ' (inside { } or [ ], quote values that contain {, }, [, ] or ${…})'
      : '';
    return { pointer: pointerAtOffset(doc, offset), message: `YAML syntax error: ${first}${hint}`, ...toPos(offset) };
  });
  let data: unknown = undefined;
  if (syntaxIssues.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (err) {
      // Alias bombs and similar abuse end here instead of exhausting memory.
      syntaxIssues.push({
        pointer: '',
        message: `YAML could not be read: ${(err as Error).message}`,
        line: 1,
        column: 1,
      });
    }
  }
  const locate = (pointer: string, at: 'key' | 'value' = 'value'): Position | undefined => {
    const steps = walk(doc, splitPointer(pointer));
    const last = steps[steps.length - 1];
    if (!last) return undefined;
    const complete = steps.length === splitPointer(pointer).length + 1;
    const node = last.node;
    // A collection's own range starts at its first entry; its key is where a reader looks.
    const preferKey = at === 'key' || !complete || node === null || (isCollection(node) && !node.flow);
    const target = preferKey && last.keyNode ? last.keyNode : node;
    const offset = target?.range?.[0] ?? doc.contents?.range?.[0] ?? 0;
    return toPos(offset);
  };
  return { data, syntaxIssues, locate };
}

/** Follows pointer segments through maps (merge keys included), sequences and aliases. */
function walk(doc: Document, segments: string[]): Step[] {
  const steps: Step[] = [{ node: deref(doc, doc.contents as Node | null) }];
  let current = steps[0]!.node;
  for (const segment of segments) {
    if (!current) break;
    let next: Step | undefined;
    if (isMap(current)) next = findInMap(doc, current, segment, 0);
    else if (isSeq(current) && /^\d+$/.test(segment)) {
      const item = current.items[Number(segment)];
      if (item !== undefined) next = { node: deref(doc, item as Node | null) };
    }
    if (!next) break;
    steps.push(next);
    current = next.node;
  }
  return steps;
}

function findInMap(doc: Document, map: Node, segment: string, depth: number): Step | undefined {
  if (!isMap(map) || depth > 8) return undefined;
  for (const pair of map.items) {
    if (isScalar(pair.key) && String(pair.key.value) === segment) {
      return { node: deref(doc, pair.value as Node | null), keyNode: pair.key };
    }
  }
  for (const pair of map.items) {
    if (!isScalar(pair.key) || !isMergeKey(pair.key.value)) continue;
    const value = deref(doc, pair.value as Node | null);
    const sources = isSeq(value) ? value.items.map((i) => deref(doc, i as Node | null)) : [value];
    for (const source of sources) {
      const found = source ? findInMap(doc, source, segment, depth + 1) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

/** With merge keys enabled, yaml resolves `<<` to a symbol described as `<<`. */
function isMergeKey(value: unknown): boolean {
  return value === '<<' || (typeof value === 'symbol' && value.description === '<<');
}

function deref(doc: Document, node: Node | null | undefined): Node | null {
  if (node && isAlias(node)) return (node.resolve(doc) as Node | undefined) ?? null;
  return node ?? null;
}

/** The pointer of the innermost node whose source range holds `offset` (for syntax errors). */
function pointerAtOffset(doc: Document, offset: number): string {
  const segments: string[] = [];
  let node = doc.contents as Node | null;
  for (let depth = 0; node && depth < 64; depth++) {
    let next: Node | null = null;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const start = pair.key.range?.[0] ?? Infinity;
        const value = pair.value as Node | null;
        const end = value?.range?.[2] ?? pair.key.range?.[2] ?? -1;
        if (offset >= start && offset <= end) {
          segments.push(String(pair.key.value));
          next = value;
          break;
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const range = (item as Node | null)?.range;
        if (!next && range && offset >= range[0] && offset <= range[2]) {
          segments.push(String(index));
          next = item as Node;
        }
      });
    }
    node = next;
  }
  return joinPointer(segments);
}
