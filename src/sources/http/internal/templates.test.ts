import { describe, expect, it } from 'vitest';
import { Redactor } from './redactor.js';
import { collectSecretValues, compileTemplate, createConfigResolver, MissingConfigError } from './templates.js';

describe('config templates', () => {
  const specs = {
    host: { secret: false, required: true },
    region: { secret: false, required: false, default: 'eu' },
    token: { secret: true, required: true },
  };

  it('resolves references from values, then defaults', () => {
    const resolve = createConfigResolver({ host: 'api.test' }, specs);
    expect(resolve(compileTemplate('https://${config.host}/${config.region}/v1'))).toBe('https://api.test/eu/v1');
  });

  it('names the missing key, never a value', () => {
    const resolve = createConfigResolver({ host: 'h' }, specs);
    expect(() => resolve(compileTemplate('Bearer ${config.token}'))).toThrow(new MissingConfigError('token'));
  });

  it('treats secret keys and keys used by auth fields as secrets', () => {
    const secrets = collectSecretValues({ host: 'h.example', token: 't0ken-value' }, specs, [
      compileTemplate('${config.host}'),
    ]);
    expect(secrets.sort()).toEqual(['h.example', 't0ken-value']);
  });
});

describe('Redactor', () => {
  it('masks secrets and their URL and base64 encodings in text and JSON', () => {
    const redactor = new Redactor(['s3cr3t/value']);
    expect(redactor.text('a s3cr3t/value b s3cr3t%2Fvalue')).toBe('a [redacted] b [redacted]');
    const b64 = Buffer.from('s3cr3t/value').toString('base64');
    expect(redactor.json({ list: [`Basic ${b64}`], n: 1 })).toEqual({ list: ['Basic [redacted]'], n: 1 });
  });

  it('ignores values too short to be secrets', () => {
    expect(new Redactor(['ab']).text('abc')).toBe('abc');
  });
});
