import { describe, expect, it } from 'vitest';
import { Redactor } from './redactor.js';

const SECRET = 'sk-live-abcdef123456';

describe('Redactor.jsonOf', () => {
  it('masks a secret that appears verbatim in the JSON text, in values and keys', () => {
    const raw = JSON.stringify({ echoed: `Bearer ${SECRET}`, [SECRET]: 1, list: [SECRET] });
    const out = new Redactor([SECRET]).jsonOf(raw, JSON.parse(raw));
    expect(JSON.stringify(out)).not.toContain(SECRET);
    expect(out).toEqual({ echoed: 'Bearer [redacted]', '[redacted]': 1, list: ['[redacted]'] });
  });

  it('masks a secret hidden behind JSON escapes (the text has a backslash, so the value is walked)', () => {
    const escaped = SECRET.replace('s', '\\u0073');
    const raw = `{"token":"${escaped}"}`;
    expect(raw).not.toContain(SECRET);
    const out = new Redactor([SECRET]).jsonOf(raw, JSON.parse(raw));
    expect(out).toEqual({ token: '[redacted]' });
  });

  it('masks the base64 form of a secret', () => {
    const b64 = Buffer.from(SECRET).toString('base64');
    const raw = JSON.stringify({ auth: `Basic ${b64}` });
    expect(new Redactor([SECRET]).jsonOf(raw, JSON.parse(raw))).toEqual({ auth: 'Basic [redacted]' });
  });

  it('returns the parsed value itself, unwalked, when no secret occurs in an escape-free text', () => {
    const raw = JSON.stringify({ a: 'plain', nested: { b: ['x', 'y'] } });
    const parsed = JSON.parse(raw);
    expect(new Redactor([SECRET]).jsonOf(raw, parsed)).toBe(parsed);
    // Positive control: the same value with a secret in it comes back as a new, masked object.
    const leaky = JSON.stringify({ a: SECRET });
    const leakyParsed = JSON.parse(leaky);
    expect(new Redactor([SECRET]).jsonOf(leaky, leakyParsed)).not.toBe(leakyParsed);
  });
});
