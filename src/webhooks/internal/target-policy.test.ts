import { describe, expect, it } from 'vitest';
import { isToolportError } from '../../core/index.js';
import { signWebhook, verifyWebhook } from './signature.js';
import { checkWebhookUrl, isPublicAddress } from './target-policy.js';

describe('webhook target policy', () => {
  it('classifies loopback, private, link-local, mapped and reserved addresses as not public', () => {
    for (const address of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '100.64.0.1',
      '169.254.169.254',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:a00:1',
      '[::1]',
      'not-an-ip',
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isPublicAddress(address), address).toBe(true);
    }
  });

  it('refuses private literals and localhost unless allowed; names the field for bad URLs', () => {
    expect(() => checkWebhookUrl('http://127.0.0.1:8080/x', false)).toThrow(/TOOLPORT_ALLOW_PRIVATE_NETWORKS/);
    expect(() => checkWebhookUrl('http://api.localhost/x', false)).toThrow(/loopback/);
    expect(checkWebhookUrl('http://127.0.0.1:8080/x', true).port).toBe('8080');
    for (const [url, pointer] of [
      ['ftp://x.example/', '/url'],
      ['not a url', '/url'],
      ['https://user:pw@example.com/', '/url'],
      [42, '/url'],
    ] as const) {
      let err: unknown;
      try {
        checkWebhookUrl(url, false);
      } catch (e) {
        err = e;
      }
      expect(isToolportError(err, 'validation_failed'), String(url)).toBe(true);
      expect((err as { details: { issues: { pointer: string }[] } }).details.issues[0]!.pointer).toBe(pointer);
    }
  });
});

describe('webhook signatures', () => {
  it('signs "<timestamp>.<body>" and verifies within the tolerance only', () => {
    const sig = signWebhook('secret-0123456789', '1700000000', '{"a":1}');
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    const headers = { timestamp: '1700000000', signature: sig };
    expect(verifyWebhook('secret-0123456789', headers, '{"a":1}', { nowMs: 1_700_000_100_000 })).toBe(true);
    expect(verifyWebhook('secret-0123456789', headers, '{"a":1}', { nowMs: 1_700_001_000_000 })).toBe(false);
    expect(
      verifyWebhook('secret-0123456789', { ...headers, timestamp: '1700000001' }, '{"a":1}', {
        nowMs: 1_700_000_000_000,
      }),
    ).toBe(false);
    expect(verifyWebhook('secret-0123456789', { timestamp: undefined, signature: sig }, '{"a":1}')).toBe(false);
  });
});
