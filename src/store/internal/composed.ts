/** The names of `T`'s methods. */
export type MethodName<T> = { [K in keyof T]: T[K] extends (...args: never[]) => unknown ? K : never }[keyof T];

/** The methods `names` of `part`, each bound to it, as one object to spread into a `withMembers` base. */
export function methodsOf<T extends object, K extends MethodName<T>>(part: T, names: readonly K[]): Pick<T, K> {
  const methods = {} as Pick<T, K>;
  for (const name of names) {
    const method = part[name] as (...args: unknown[]) => unknown;
    methods[name] = method.bind(part) as T[K];
  }
  return methods;
}

/**
 * A base class whose instances own the members they are constructed with: `class A extends withMembers<M>()`
 * has M's members, typed, without declaring and forwarding each one (composition with `methodsOf` parts).
 */
export function withMembers<M extends object>(): new (members: M) => M {
  return class {
    constructor(members: M) {
      Object.assign(this, members);
    }
  } as new (members: M) => M;
}
