/** Shortest value redacted: shorter "secrets" would blank out ordinary words in responses. */
const MIN_SECRET_LENGTH = 4;
const MAX_TRACKED = 64;
const MASK = '[redacted]';

/**
 * Removes known secret values (credentials, their encodings, current OAuth tokens) from text
 * and JSON handed back to callers. An upstream that echoes request headers (or an error page
 * quoting the URL with an api key) must not leak the connector's credentials to an MCP client.
 */
export class Redactor {
  #secrets: string[] = [];

  constructor(initial: Iterable<string> = []) {
    for (const value of initial) this.add(value);
  }

  /** Tracks a secret and its common wire encodings (URL-encoded, base64). */
  add(value: string): void {
    for (const form of [value, encodeURIComponent(value), Buffer.from(value).toString('base64')]) {
      if (form.length < MIN_SECRET_LENGTH || this.#secrets.includes(form)) continue;
      this.#secrets.push(form);
      // Rotating tokens would otherwise accumulate forever; old ones are the least useful.
      if (this.#secrets.length > MAX_TRACKED) this.#secrets.shift();
    }
    // Longest first, so a secret containing another is masked whole.
    this.#secrets.sort((a, b) => b.length - a.length);
  }

  /** `text` with every tracked secret replaced by `[redacted]`. */
  text(text: string): string {
    let out = text;
    for (const secret of this.#secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
    return out;
  }

  /**
   * `parsed` (the JSON.parse of `raw`) with secrets masked, walking it only when it may hold one. A JSON text
   * without a backslash has no escapes, so each of its strings (keys included) appears verbatim in it: when no
   * tracked secret occurs in such a text, no string of the value holds one, and the value is returned as it is.
   * Texts with escapes (a secret could hide as `\u0041…`) take the full walk.
   */
  jsonOf(raw: string, parsed: unknown): unknown {
    if (this.#secrets.length === 0) return parsed;
    if (!raw.includes('\\') && !this.#secrets.some((secret) => raw.includes(secret))) return parsed;
    return this.json(parsed);
  }

  /** A deep copy of JSON `value` with secrets masked in every string (keys included). */
  json(value: unknown): unknown {
    if (this.#secrets.length === 0) return value;
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((item) => this.json(item));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[this.text(key)] = this.json(item);
      return out;
    }
    return value;
  }
}
