import { describe, expect, it } from 'vitest';
import { assertPublicUrl, isBlockedAddress } from './url-guard.js';

describe('url guard', () => {
  it('classifies loopback, private, link-local and mapped addresses as blocked, public ones as allowed', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      'not-an-ip',
    ]) {
      expect(isBlockedAddress(address), address).toBe(true);
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isBlockedAddress(address), address).toBe(false);
    }
  });

  it('refuses literal and resolved loopback hosts with target_refused', async () => {
    await expect(assertPublicUrl(new URL('http://127.0.0.1:9/mcp'))).rejects.toMatchObject({ code: 'target_refused' });
    await expect(assertPublicUrl(new URL('http://[::1]:9/mcp'))).rejects.toMatchObject({ code: 'target_refused' });
    await expect(assertPublicUrl(new URL('http://localhost:9/mcp'))).rejects.toMatchObject({ code: 'target_refused' });
    await expect(assertPublicUrl(new URL('http://93.184.215.14/mcp'))).resolves.toBeUndefined();
  });
});
