// A local ESLint rule: import cycles between project files, type-only imports included.
// `import-x/no-cycle` skips `import type` by design (no runtime effect) and has no option to count it, yet a
// type-only cycle is still two modules that know each other; this rule reports those too.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** `import … from './x.js'`, `export … from './x.js'`, `import './x.js'` — relative specifiers only. */
const SPECIFIER = /(?:^|[\n;])\s*(?:import|export)\s+(?:[^'";]*?\sfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]/g;

/** Resolves a relative specifier of `from` to a .ts file (`./x.js` → `./x.ts`, `./dir` → `./dir/index.ts`). */
function resolveSpecifier(from, specifier) {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

const cache = new Map();

/** The project files `file` imports (type-only included), cached by modification time. */
function importsOf(file) {
  const mtime = statSync(file).mtimeMs;
  const hit = cache.get(file);
  if (hit && hit.mtime === mtime) return hit.imports;
  const text = readFileSync(file, 'utf8');
  const imports = new Set();
  for (const match of text.matchAll(SPECIFIER)) {
    const target = resolveSpecifier(file, match[1]);
    if (target) imports.add(target);
  }
  cache.set(file, { mtime, imports });
  return imports;
}

/** The shortest import path from `start` back to `target`, or undefined. */
function pathBack(start, target) {
  const previous = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const next of importsOf(file)) {
      if (next === target) {
        const route = [file];
        for (let at = previous.get(file); at !== undefined; at = previous.get(at)) route.unshift(at);
        return route;
      }
      if (previous.has(next)) continue;
      previous.set(next, file);
      queue.push(next);
    }
  }
  return undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
export const noCycleWithTypes = {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid import cycles between project files, type-only imports included' },
    messages: {
      cycle:
        'Import cycle (type-only imports count): {{route}}. Give the imported side a narrow interface of its own instead of importing back.',
    },
    schema: [],
  },
  create(context) {
    const file = context.physicalFilename;
    if (!file.endsWith('.ts')) return {};
    const check = (node) => {
      const specifier = node.source?.value;
      if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
      const target = resolveSpecifier(file, specifier);
      if (!target || target === file) return;
      const route = pathBack(target, file);
      if (!route) return;
      const cwd = context.cwd ?? process.cwd();
      const names = [file, ...route, file].map((f) => relative(cwd, f));
      context.report({ node, messageId: 'cycle', data: { route: names.join(' → ') } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check };
  },
};

/** The plugin object for the flat config. */
export default { rules: { 'no-cycle-with-types': noCycleWithTypes } };
