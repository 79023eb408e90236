import { describe, expect, it } from 'vitest';
import { sourceKey } from './source-key.js';

describe('sourceKey', () => {
  it('keeps IPv4 addresses and unwraps IPv4-mapped IPv6 ones', () => {
    expect(sourceKey('192.0.2.7')).toBe('192.0.2.7');
    expect(sourceKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('folds IPv6 addresses of one /64 into one key, whatever their spelling', () => {
    const k = sourceKey('2001:db8:1:2::1');
    expect(k).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:0DB8:0001:0002:ffff:1:2:3')).toBe(k);
    expect(sourceKey('2001:db8:1:2:0:0:0:9%eth0')).toBe(k);
    expect(sourceKey('2001:db8:1:3::1')).not.toBe(k);
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
  });

  it('leaves what is not an IP address alone', () => {
    expect(sourceKey('unknown')).toBe('unknown');
    expect(sourceKey('1:2:3')).toBe('1:2:3');
  });
});
