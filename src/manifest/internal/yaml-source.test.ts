import { describe, expect, it } from 'vitest';
import { child, isPointer, splitPointer } from './pointer.js';
import { readYaml } from './yaml-source.js';

const TEXT = `name: x
base: &base
  timeout: 5
http:
  <<: *base
  headers: { A: b }
tools:
  - name: t
    args:
      - one
`;

describe('readYaml locate', () => {
  const doc = readYaml(TEXT);

  it('points at scalar values, and at keys for block collections', () => {
    expect(doc.locate('/name')).toEqual({ line: 1, column: 7 });
    expect(doc.locate('/name', 'key')).toEqual({ line: 1, column: 1 });
    expect(doc.locate('/tools')).toEqual({ line: 7, column: 1 });
    expect(doc.locate('/http/headers')).toEqual({ line: 6, column: 12 });
    expect(doc.locate('/tools/0/args/0')).toEqual({ line: 10, column: 9 });
  });

  it('follows merge keys to the anchored value', () => {
    expect(doc.locate('/http/timeout')).toEqual({ line: 3, column: 12 });
  });

  it('falls back to the nearest existing ancestor for missing fields', () => {
    expect(doc.locate('/http/base_url')).toEqual({ line: 4, column: 1 });
    expect(doc.locate('/tools/3/name')).toEqual({ line: 7, column: 1 });
  });
});

describe('pointers', () => {
  it('escape and unescape ~ and /', () => {
    expect(child('/a', 'b/c~d')).toBe('/a/b~1c~0d');
    expect(splitPointer('/a/b~1c~0d')).toEqual(['a', 'b/c~d']);
    expect(isPointer('/a/0')).toBe(true);
    expect(isPointer('a')).toBe(false);
  });
});
