/** The label value series beyond the limit are folded into. */
export const OVERFLOW = '_other';

/**
 * Bounds the label sets of a metric family: the first `max` distinct sets pass unchanged, later ones are
 * folded into one `_other` set, so a tenant creating thousands of tools cannot exhaust memory or the scraper.
 */
export class LabelLimiter {
  readonly #seen = new Set<string>();
  readonly #max: number;
  readonly #names: readonly string[];

  constructor(max: number, names: readonly string[]) {
    this.#max = Math.max(1, max);
    this.#names = names;
  }

  fold(labels: Record<string, string>): Record<string, string> {
    const key = this.#names.map((n) => labels[n] ?? '').join('\u0000');
    if (this.#seen.has(key)) return labels;
    if (this.#seen.size < this.#max) {
      this.#seen.add(key);
      return labels;
    }
    return Object.fromEntries(this.#names.map((n) => [n, OVERFLOW]));
  }
}
