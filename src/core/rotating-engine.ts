/**
 * Ajv keeps what each compile generated (its code scope: pattern objects, names, formats) for as long as the
 * instance lives, about 15 KB a schema, so one engine fed schemas that keep coming (tenants' tools, manifests)
 * grows without bound. This hands out one engine for `compilesPerEngine` compiles, then a fresh one; validators
 * compiled on an earlier engine keep working, holding only what they need.
 */
export class RotatingEngine<E> {
  readonly #create: () => E;
  readonly #compilesPerEngine: number;
  #engine: E;
  #compiles = 0;

  constructor(create: () => E, compilesPerEngine = 1_000) {
    this.#create = create;
    this.#compilesPerEngine = compilesPerEngine;
    this.#engine = create();
  }

  /** The engine in use now, for work that adds nothing per schema (checking a schema against its meta-schema). */
  get current(): E {
    return this.#engine;
  }

  /** The engine to compile one schema on: the current one, or a fresh one once this one has compiled its share. */
  forCompile(): E {
    if (this.#compiles++ >= this.#compilesPerEngine) {
      this.#engine = this.#create();
      this.#compiles = 1;
    }
    return this.#engine;
  }
}
