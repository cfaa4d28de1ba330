/** JSON pointer (RFC 6901) helpers. */

/** Splits a pointer into unescaped segments; `''` is the root. */
export function splitPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Joins unescaped segments into a pointer. */
export function joinPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** Appends one segment to a pointer. */
export function child(pointer: string, segment: string | number): string {
  return pointer + joinPointer([segment]);
}

/** True when `value` is a syntactically valid JSON pointer. */
export function isPointer(value: string): boolean {
  return value === '' || /^(\/([^~/]|~[01])*)+$/.test(value);
}

/** Reads the value at `pointer` in `root`, or undefined. */
export function getAt(root: unknown, pointer: string): unknown {
  let current: unknown = root;
  for (const segment of splitPointer(pointer)) {
    if (Array.isArray(current)) current = current[Number(segment)];
    else if (current !== null && typeof current === 'object') {
      current = Object.prototype.hasOwnProperty.call(current, segment)
        ? (current as Record<string, unknown>)[segment]
        : undefined;
    } else return undefined;
  }
  return current;
}
