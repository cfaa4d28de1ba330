import { closeSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

import { createError } from '../core/index.js';

import { isSystemPath } from './bwrap.js';

/** What a sandbox must bind read-only so a command runs in it. */
export interface CommandMounts {
  /** The command's real executable (symlinks resolved): what the sandbox runs. */
  executable: string;
  /** Host paths to bind read-only (outside the system folders every sandbox sees). */
  readOnly: string[];
  /** Folders of the command and its interpreters, for the sandbox's `PATH`. */
  pathDirs: string[];
}

/** Inputs of {@link resolveCommandMounts}. */
export interface CommandMountOptions {
  /** The search path for a bare command name (the server's `PATH`). */
  searchPath: string;
  /** Folders no bind may contain or be inside (the server's data folder): a prefix never exposes them. */
  protect: readonly string[];
  /** Absolute paths the operator's allowlist entry names (scripts, package folders) to bind as well. */
  extra?: readonly string[];
}

const MAX_INTERPRETER_HOPS = 3;

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function isExecutableFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A bare name found on `searchPath` (or a path as given), with symlinks resolved. */
function locate(command: string, searchPath: string): string | undefined {
  const candidates = command.includes('/')
    ? [command]
    : searchPath
        .split(delimiter)
        .filter((dir) => isAbsolute(dir))
        .map((dir) => join(dir, command));
  for (const candidate of candidates) {
    if (!isExecutableFile(candidate)) continue;
    try {
      return realpathSync(candidate);
    } catch {
      continue;
    }
  }
  return undefined;
}

/** The interpreter of a `#!` script (`#!/usr/bin/env node` → `node`), or undefined for a binary. */
function shebang(file: string): string | undefined {
  const buffer = Buffer.alloc(256);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, read).toString('utf8');
    if (!head.startsWith('#!')) return undefined;
    const parts = head.slice(2).split('\n')[0]!.trim().split(/\s+/);
    if (basename(parts[0] ?? '') === 'env') return parts.find((part, i) => i > 0 && !part.startsWith('-'));
    return parts[0];
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The folder to bind for an executable: its install prefix when it lives in `<prefix>/bin` (node's global
 * packages and a python's stdlib live beside it), else its own folder — never one that holds a protected folder,
 * the home folder or `/`.
 */
function installFolder(executable: string, protect: readonly string[]): string {
  const dir = dirname(executable);
  const safe = (folder: string): boolean =>
    folder !== '/' && folder !== homedir() && !protect.some((p) => isInside(p, folder));
  const prefix = dirname(dir);
  if (basename(dir) === 'bin' && safe(prefix)) return prefix;
  return safe(dir) ? dir : executable;
}

/**
 * Resolves a stdio command the way the sandbox will run it: found on the search path, symlinks resolved, its
 * install folder and (for `#!` scripts such as `npx`) its interpreter's install folder bound read-only, plus the
 * operator's extra paths. Throws `upstream_unavailable` when the command cannot be found.
 *
 * @example
 * const { executable, readOnly } = resolveCommandMounts('npx', { searchPath: process.env.PATH ?? '', protect: [dataDir] });
 */
export function resolveCommandMounts(command: string, options: CommandMountOptions): CommandMounts {
  const executable = locate(command, options.searchPath);
  if (!executable) {
    throw createError('upstream_unavailable', `stdio command '${command}' was not found on the server's PATH`);
  }
  const readOnly: string[] = [];
  const pathDirs: string[] = [];
  // `real` decides what may be bound; `path` is where the program will look for it.
  const add = (path: string, real = path): void => {
    if (isSystemPath(real) || readOnly.some((bound) => isInside(path, bound))) return;
    if (options.protect.some((p) => isInside(p, real) || isInside(real, p))) return;
    readOnly.push(path);
  };
  let current: string | undefined = executable;
  for (let hop = 0; current && hop < MAX_INTERPRETER_HOPS; hop += 1) {
    add(installFolder(current, options.protect));
    if (!pathDirs.includes(dirname(current))) pathDirs.push(dirname(current));
    const interpreter = shebang(current);
    current = interpreter ? locate(interpreter, options.searchPath) : undefined;
  }
  for (const path of options.extra ?? []) {
    try {
      add(resolve(path), realpathSync(path));
    } catch {
      // A path the operator named that does not exist (yet) simply is not bound.
    }
  }
  return { executable, readOnly, pathDirs };
}
