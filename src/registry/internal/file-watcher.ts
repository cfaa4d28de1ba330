import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/**
 * Watches files by watching their directories: editors save by writing a temp file and renaming it over the
 * original, which orphans a watch on the file's inode. Events are debounced per file so a burst of writes
 * becomes one callback, and the callback always reads the file's latest content.
 */
export class FileWatcher {
  #dirs = new Map<string, { watcher: FSWatcher; files: Set<string> }>();
  #timers = new Map<string, NodeJS.Timeout>();
  readonly #onChange: (file: string) => void;
  readonly #debounceMs: number;

  constructor(onChange: (file: string) => void, debounceMs = 15) {
    this.#onChange = onChange;
    this.#debounceMs = debounceMs;
  }

  /** Starts watching `file` (idempotent). Returns false when its directory cannot be watched. */
  add(file: string): boolean {
    const path = resolve(file);
    const dir = dirname(path);
    let entry = this.#dirs.get(dir);
    if (!entry) {
      let watcher: FSWatcher;
      try {
        watcher = watch(dir, { persistent: false }, (_event, name) => {
          const changed = name ? resolve(dir, name.toString()) : undefined;
          const current = this.#dirs.get(dir);
          if (!current) return;
          // Some platforms omit the file name: treat it as a change of every watched file in the directory.
          for (const f of changed ? [changed] : [...current.files]) if (current.files.has(f)) this.#schedule(f);
        });
      } catch {
        return false;
      }
      watcher.on('error', () => {
        // The directory went away; files in it are reported missing by the next explicit reload.
      });
      entry = { watcher, files: new Set() };
      this.#dirs.set(dir, entry);
    }
    entry.files.add(path);
    return true;
  }

  /** Stops watching `file`; closes the directory watch when it was the last file in it. */
  remove(file: string): void {
    const path = resolve(file);
    const dir = dirname(path);
    const entry = this.#dirs.get(dir);
    if (!entry) return;
    entry.files.delete(path);
    if (entry.files.size === 0) {
      entry.watcher.close();
      this.#dirs.delete(dir);
    }
  }

  has(file: string): boolean {
    const path = resolve(file);
    return this.#dirs.get(dirname(path))?.files.has(path) ?? false;
  }

  close(): void {
    for (const { watcher } of this.#dirs.values()) watcher.close();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#dirs.clear();
    this.#timers.clear();
  }

  #schedule(file: string): void {
    clearTimeout(this.#timers.get(file));
    this.#timers.set(
      file,
      setTimeout(() => {
        this.#timers.delete(file);
        this.#onChange(file);
      }, this.#debounceMs),
    );
  }
}

/** The file name without directories, for messages. */
export const fileLabel = (file: string): string => basename(file);
