import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { createError } from '../core/index.js';
import { configSchema, type Config, type ConfigInput } from './schema.js';

const KEYS = Object.keys(configSchema.shape) as (keyof ConfigInput)[];

/** `healthIntervalMs` → `TOOLPORT_HEALTH_INTERVAL_MS`. */
export function envName(key: string): string {
  return `TOOLPORT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function fromEnv(env: NodeJS.ProcessEnv): Partial<ConfigInput> {
  const out: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = env[envName(key)];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out as Partial<ConfigInput>;
}

function fromFile(path: string): Partial<ConfigInput> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw createError('config_invalid', `cannot read config file ${path}: ${(err as Error).message}`);
  }
  const parsed: unknown = parseYaml(text);
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw createError('config_invalid', `config file ${path} must hold a mapping of settings`);
  }
  return parsed as Partial<ConfigInput>;
}

/**
 * Builds the configuration: defaults < config file < environment < flags. Validated once and frozen;
 * an invalid value throws `config_invalid` naming the setting and where it came from.
 */
export function loadConfig(
  options: { flags?: Partial<ConfigInput>; env?: NodeJS.ProcessEnv; file?: string } = {},
): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.TOOLPORT_CONFIG;
  const layers: [string, Partial<ConfigInput>][] = [
    [file ? `config file ${file}` : 'config file', file ? fromFile(file) : {}],
    ['environment', fromEnv(env)],
    ['flags', stripUndefined(options.flags ?? {})],
  ];
  const merged: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const [name, layer] of layers) {
    for (const [key, value] of Object.entries(layer)) {
      merged[key] = value;
      origin[key] = name;
    }
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const where = origin[key] === 'environment' ? envName(key) : key;
      const unknown = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
      return `${where || 'config'}${origin[key] ? ` from ${origin[key]}` : ''}: ${issue.message}${unknown}`;
    });
    throw createError('config_invalid', `invalid configuration: ${problems.join('; ')}`, {
      issues: result.error.issues.map((i) => ({ pointer: `/${i.path.join('/')}`, message: i.message })),
    });
  }
  return Object.freeze(result.data);
}

/** Variables of the `TOOLPORT_` family that are not settings but are read elsewhere (CLI client, tests, runtimes). */
const OTHER_VARIABLES = new Set([
  'TOOLPORT_CONFIG',
  'TOOLPORT_URL',
  'TOOLPORT_TOKEN',
  'TOOLPORT_CLI_CONFIG',
  'TOOLPORT_TEST_DATABASE_URL',
  'TOOLPORT_BWRAP_PATH',
]);

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/**
 * `TOOLPORT_*` variables that name no setting — usually a typo that would otherwise be ignored in silence — each
 * with the closest real name when one is near.
 */
export function unknownSettings(env: NodeJS.ProcessEnv = process.env): string[] {
  const known = KEYS.map(envName);
  return Object.keys(env)
    .filter((name) => name.startsWith('TOOLPORT_') && !known.includes(name) && !OTHER_VARIABLES.has(name))
    .sort()
    .map((name) => {
      const [best] = [...known, ...OTHER_VARIABLES]
        .map((candidate) => ({ candidate, d: distance(name, candidate) }))
        .sort((x, y) => x.d - y.d);
      const hint = best && best.d <= 3 ? `; did you mean ${best.candidate}?` : '';
      return `${name} is not a Toolport setting and is ignored${hint}`;
    });
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
