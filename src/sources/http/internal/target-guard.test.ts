import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { checkLiteralHost, createTargetLookup } from './target-guard.js';

function lookup(host: string, all: boolean): Promise<{ err: unknown; address: string | LookupAddress[] }> {
  return new Promise((resolve) => {
    createTargetLookup()(host, { all }, (err, address) => resolve({ err, address }));
  });
}

describe('target guard', () => {
  it('refuses private IP literals and allows public ones', () => {
    expect(checkLiteralHost('10.1.2.3')?.code).toBe('target_refused');
    expect(checkLiteralHost('::ffff:169.254.169.254')?.message).toBe(
      'target_refused: ::ffff:169.254.169.254 resolves to a link-local address (loopback/private targets are ' +
        'refused unless the operator sets TOOLPORT_ALLOW_PRIVATE_NETWORKS=1)',
    );
    expect(checkLiteralHost('8.8.8.8')).toBeNull();
    expect(checkLiteralHost('example.com')).toBeNull();
  });

  it.each([true, false])('refuses a name resolving to loopback before any connection (all=%s)', async (all) => {
    const { err, address } = await lookup('localhost', all);
    expect(err).toMatchObject({ code: 'target_refused', details: { host: 'localhost', addressClass: 'loopback' } });
    expect(address).toEqual([]);
  });

  it('passes DNS failures through unchanged', async () => {
    const { err } = await lookup('no-such-host.invalid', true);
    expect(err).toMatchObject({ code: expect.stringMatching(/^E(NOTFOUND|AI_AGAIN)$/) });
  });
});
