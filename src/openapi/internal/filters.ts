/** What a filter pattern is matched against for one operation. */
export interface OperationFacts {
  method: string;
  path: string;
  operationId?: string;
  tags: readonly string[];
}

/** Decides whether an operation is imported, from `--include` / `--exclude` patterns. */
export type OperationFilter = (op: OperationFacts) => boolean;

type Matcher = (op: OperationFacts) => boolean;

/**
 * Compiles include/exclude patterns. A pattern is `tag:GLOB`, `id:GLOB` (operationId), `path:GLOB`,
 * `METHOD /path-glob`, a bare `/path-glob`, or a bare GLOB matched against tags and operationIds.
 * In globs `*` matches within one path segment, `**` across segments (for tags and ids both match anything).
 */
export function createOperationFilter(
  include: readonly string[] = [],
  exclude: readonly string[] = [],
): OperationFilter {
  const inc = include.map(compilePattern);
  const exc = exclude.map(compilePattern);
  return (op) => (inc.length === 0 || inc.some((m) => m(op))) && !exc.some((m) => m(op));
}

function compilePattern(raw: string): Matcher {
  const pattern = raw.trim();
  const prefixed = /^(tag|id|operationId|path):(.*)$/s.exec(pattern);
  if (prefixed) {
    const [, kind, glob = ''] = prefixed;
    if (kind === 'tag') {
      const re = globRegExp(glob, false);
      return (op) => op.tags.some((t) => re.test(t));
    }
    if (kind === 'path') return pathMatcher(glob);
    const re = globRegExp(glob, false);
    return (op) => op.operationId !== undefined && re.test(op.operationId);
  }
  const methodPath = /^([A-Za-z]+)\s+(\/.*)$/s.exec(pattern);
  if (methodPath) {
    const method = (methodPath[1] ?? '').toUpperCase();
    const path = pathMatcher(methodPath[2] ?? '');
    return (op) => op.method === method && path(op);
  }
  if (pattern.startsWith('/')) return pathMatcher(pattern);
  const re = globRegExp(pattern, false);
  return (op) => op.tags.some((t) => re.test(t)) || (op.operationId !== undefined && re.test(op.operationId));
}

function pathMatcher(glob: string): Matcher {
  const re = globRegExp(glob, true);
  return (op) => re.test(op.path);
}

/** A glob as an anchored regular expression; `segments` makes `*` stop at `/`. */
function globRegExp(glob: string, segments: boolean): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i] ?? '';
    if (c === '*' && glob[i + 1] === '*') {
      source += '.*';
      i += 1;
    } else if (c === '*') source += segments ? '[^/]*' : '.*';
    else if (c === '?') source += segments ? '[^/]' : '.';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, segments ? '' : 'i');
}
