import { describe, expect, it } from 'vitest';
import { isPrivateAddress, refuseTarget } from './target.js';

describe('webhook targets', () => {
  it('refuses the service\'s own networks unless allowed', async () => {
    for (const url of ['http://127.0.0.1:9000/x', 'http://[::1]/x', 'https://10.1.2.3/', 'http://169.254.169.254/latest/meta-data', 'http://192.168.1.1/', 'http://[fd00::1]/', 'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0/']) {
      expect(await refuseTarget(url, false), url).toMatch(/private or loopback/);
      expect(await refuseTarget(url, true), url).toBeNull();
    }
    // A name is checked by what it resolves to (before each delivery).
    expect(await refuseTarget('http://localhost:9000/hook', false)).toMatch(/private or loopback/);
    // At creation a name that does not resolve yet is accepted; a private literal is not.
    expect(await refuseTarget('https://hooks.invalid/x', false, false)).toBeNull();
    expect(await refuseTarget('https://hooks.invalid/x', false)).toMatch(/does not resolve/);
    expect(await refuseTarget('https://93.184.216.34/hook', false)).toBeNull();
  });

  it('only http(s) without credentials', async () => {
    expect(await refuseTarget('ftp://example.com/', true)).toMatch(/http/);
    expect(await refuseTarget('https://user:pw@example.com/', true)).toMatch(/credentials/);
    expect(await refuseTarget('not a url', true)).toBe('not a URL');
  });

  it('classifies addresses', () => {
    expect(isPrivateAddress('172.16.0.1')).toBe(true);
    expect(isPrivateAddress('172.32.0.1')).toBe(false);
    expect(isPrivateAddress('100.64.0.1')).toBe(true);
    expect(isPrivateAddress('fe80::1')).toBe(true);
    expect(isPrivateAddress('2001:db8::1')).toBe(false);
  });
});
