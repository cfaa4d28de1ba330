import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.js';
import { createSecretBox, openStore, type Store } from '../../store/index.js';
import { createAuthenticate, generateApiKey } from './auth.js';

describe('createAuthenticate', () => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
  });

  it('resolves a key from the store once, then from its cache until forgetKeys or expiry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tp-auth-'));
    store = await openStore({ dataDir: dir, secretBox: createSecretBox({ keyFile: join(dir, 'k') }) });
    await store.createTenant({ id: 't1', name: 'T1', created_at: new Date().toISOString() });
    const { record, key } = generateApiKey('t1', 'k', ['invoke'], Date.now());
    await store.createApiKey(record);
    let reads = 0;
    const real = store;
    const counting = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'getApiKeyByHash') {
          return (hash: string) => {
            reads += 1;
            return target.getApiKeyByHash(hash);
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    let now = 1_000_000;
    const auth = createAuthenticate({
      store: counting,
      adminToken: 'a'.repeat(32),
      logger: silentLogger,
      clock: { now: () => now },
    });
    for (let i = 0; i < 5; i++) expect((await auth(key))?.tenantId).toBe('t1');
    expect(reads).toBe(1);
    // A revoke clears the cache on this node: the next request sees it.
    await real.revokeApiKey('t1', record.id, new Date().toISOString());
    auth.forgetKeys();
    expect(await auth(key)).toBeNull();
    expect(reads).toBe(2);
    // Unknown tokens are never cached; known ones expire after a few seconds.
    expect(await auth('tp_unknown')).toBeNull();
    expect(await auth('tp_unknown')).toBeNull();
    expect(reads).toBe(4);
    now += 10_000;
    await auth(key);
    expect(reads).toBe(5);
  });
});
