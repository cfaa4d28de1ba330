import { describe, expect, it } from 'vitest';
import { LineReader } from './line-reader.js';

function reader(maxBytes?: number): { r: LineReader; values: unknown[]; dropped: [string, string, number][] } {
  const values: unknown[] = [];
  const dropped: [string, string, number][] = [];
  const r = new LineReader(
    { value: (v) => values.push(v), oversized: (head, tail, bytes) => dropped.push([head, tail, bytes]) },
    maxBytes,
  );
  return { r, values, dropped };
}

describe('LineReader', () => {
  it('reads lines split anywhere, multi-byte characters included, several per chunk, CRLF too', () => {
    const { r, values } = reader();
    const bytes = Buffer.from('{"a":"é🚀"}\n{"b":2}\r\n\n{"c":[1,2]}\n{"d":');
    // One byte at a time: every split point, inside the 2- and 4-byte characters too.
    for (let i = 0; i < bytes.length; i++) r.append(bytes.subarray(i, i + 1));
    expect(values).toEqual([{ a: 'é🚀' }, { b: 2 }, { c: [1, 2] }]);
    r.append(Buffer.from('4}\n'));
    expect(values.at(-1)).toEqual({ d: 4 });
  });

  it('skips lines that are not JSON, as the SDK reader does', () => {
    const { r, values } = reader();
    r.append(Buffer.from('starting up...\n{"ok":true}\n   \n'));
    expect(values).toEqual([{ ok: true }]);
  });

  it('drops a line over the cap without keeping it, reports its ends and size, and reads the next line', () => {
    const { r, values, dropped } = reader(64);
    const long = `{"jsonrpc":"2.0","id":"x:1","result":"${'y'.repeat(500)}"}`;
    for (let i = 0; i < long.length; i += 30) r.append(Buffer.from(long.slice(i, i + 30)));
    r.append(Buffer.from('\n{"next":1}\n'));
    expect(values).toEqual([{ next: 1 }]);
    expect(dropped).toHaveLength(1);
    const [head, tail, size] = dropped[0]!;
    expect(size).toBe(long.length);
    expect(head.startsWith('{"jsonrpc":"2.0","id":"x:1"')).toBe(true);
    expect(tail.endsWith('yyy"}')).toBe(true);
  });

  it('clear forgets a partial line', () => {
    const { r, values } = reader();
    r.append(Buffer.from('{"partial":'));
    r.clear();
    r.append(Buffer.from('{"whole":1}\n'));
    expect(values).toEqual([{ whole: 1 }]);
  });
});
