import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_TOKEN_CHARS, SessionTokens, initializeParams } from './session-token.js';

const state = {
  endpoint: { tenantId: 'a', projectId: 'p1', connector: 'echo' },
  keyId: 'k1',
  protocolVersion: '2025-11-25',
  capabilities: { roots: { listChanged: true } },
  clientInfo: { name: 'c', version: '1' },
  issuedAt: 1_000_000,
};

describe('SessionTokens', () => {
  it('round-trips the state, opaque to a reader, and only under the same key', () => {
    const key = randomBytes(32);
    const token = new SessionTokens(key).mint(state)!;
    expect(token).toMatch(/^tp1\.[A-Za-z0-9_-]+$/);
    // Opaque: neither the token nor its decoded bytes carry the key id or the tenant in the clear (ids long
    // enough that random bytes cannot contain them by chance).
    const opaque = new SessionTokens(key).mint({
      ...state,
      keyId: 'key-id-0123456789',
      endpoint: { ...state.endpoint, tenantId: 'tenant-distinct' },
    })!;
    const bytes = Buffer.from(opaque.slice(4), 'base64url').toString('latin1');
    for (const clear of ['key-id-0123456789', 'tenant-distinct']) {
      expect(opaque).not.toContain(clear);
      expect(bytes).not.toContain(clear);
    }
    expect(new SessionTokens(key).open(token, state.issuedAt)).toEqual(state);
    expect(new SessionTokens(randomBytes(32)).open(token, state.issuedAt)).toBeUndefined();
    expect(new SessionTokens(key).mint(state)).not.toBe(token);
  });

  it('refuses an altered, truncated, foreign-format or too old id', () => {
    const tokens = new SessionTokens(randomBytes(32), { maxAgeMs: 60_000 });
    const token = tokens.mint(state)!;
    const body = token.slice(4);
    const flipped = `tp1.${body.slice(0, 10)}${body[10] === 'A' ? 'B' : 'A'}${body.slice(11)}`;
    expect(tokens.open(flipped, state.issuedAt)).toBeUndefined();
    expect(tokens.open(token.slice(0, 30), state.issuedAt)).toBeUndefined();
    expect(tokens.open('3f2c1d9e-0000-4000-8000-000000000000', state.issuedAt)).toBeUndefined();
    expect(tokens.open(token, state.issuedAt + 60_000)).toEqual(state);
    expect(tokens.open(token, state.issuedAt + 60_001)).toBeUndefined();
  });

  it('mints nothing when the state does not fit a header', () => {
    const big = { ...state, clientInfo: { name: 'x'.repeat(MAX_TOKEN_CHARS), version: '1' } };
    expect(new SessionTokens(randomBytes(32)).mint(big)).toBeUndefined();
  });

  it('reads initialize parameters and refuses malformed ones', () => {
    const params = { protocolVersion: 'v', capabilities: {}, clientInfo: { name: 'n', version: '1' } };
    expect(initializeParams({ params })).toEqual(params);
    expect(initializeParams({ params: { ...params, capabilities: [] } })).toBeUndefined();
    expect(initializeParams({})).toBeUndefined();
    expect(initializeParams(undefined)).toBeUndefined();
  });
});
