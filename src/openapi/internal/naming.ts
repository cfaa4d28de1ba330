import { createHash } from 'node:crypto';

const MAX_TOOL_NAME = 64;
const MAX_ARG_NAME = 64;

/** Cuts a name to `max` characters keeping it unique: the tail is replaced by a short hash of the whole. */
function fit(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, max - 9).replace(/[_-]+$/, '')}_${hash}`;
}

/** A tool name from the operationId, else from method and path: `[A-Za-z0-9_-]{1,64}`. */
export function baseToolName(method: string, path: string, operationId?: string): string {
  const fromId = operationId?.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '');
  if (fromId) return fit(fromId, MAX_TOOL_NAME);
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map((p) => {
      const param = /^\{(.+)\}$/.exec(p);
      return param ? `by_${param[1]}` : p;
    });
  const raw = [method.toLowerCase(), ...parts].join('_');
  return fit(
    raw
      .replace(/[^A-Za-z0-9_-]+/g, '_')
      .replace(/_+/g, '_')
      .replace(/_+$/, '') || method,
    MAX_TOOL_NAME,
  );
}

/** Hands out names unique within one manifest: a taken name gets `_2`, `_3`, … (still within 64). */
export function createNameAllocator(): (base: string) => string {
  const taken = new Set<string>();
  return (base) => {
    let name = base;
    for (let n = 2; taken.has(name); n += 1) {
      const suffix = `_${n}`;
      name = `${base.slice(0, MAX_TOOL_NAME - suffix.length)}${suffix}`;
    }
    taken.add(name);
    return name;
  };
}

/**
 * An argument name a manifest and MCP clients accept (`^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`); the wire name is
 * kept separately when it differs.
 */
export function argName(wire: string): string {
  let name = wire.replace(/[^A-Za-z0-9_.-]+/g, '_');
  if (!/^[A-Za-z_]/.test(name)) name = `p_${name}`;
  return fit(name, MAX_ARG_NAME);
}

/** A connector slug from a title: lower case, `[a-z0-9_-]`, 1–64, starting and ending alphanumeric. */
export function connectorSlug(title: string): string {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, 64)
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return slug || 'openapi';
}

/** A semantic version from `info.version`: kept when it already is one, padded (`1.0` → `1.0.0`), else 1.0.0. */
export function semverOf(version: unknown): string {
  const text = typeof version === 'string' || typeof version === 'number' ? String(version).trim() : '';
  const v = text.replace(/^v/i, '');
  if (/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(v)) return v.replace(/\.0+(\d)/g, '.$1');
  const numbers = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(v);
  if (numbers) return [numbers[1], numbers[2] ?? '0', numbers[3] ?? '0'].map((n) => String(Number(n))).join('.');
  return '1.0.0';
}
