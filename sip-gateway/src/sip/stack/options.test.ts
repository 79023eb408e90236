/** The `sip:` config block documented for config/default.yaml parses and maps onto stack options. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { sipConfigSchema, stackOptionsFromConfig } from './index.js';

const BLOCK = `
transports:
  - { protocol: udp, host: 0.0.0.0, port: 5060 }
  - { protocol: tcp, host: 0.0.0.0, port: 5060 }
  - { protocol: tls, host: 0.0.0.0, port: 5061 }
  - { protocol: udp, host: "::", port: 5060 }
tls:
  certFile: CERT
  keyFile: KEY
  verifyPeer: true
timers: { T1: 500, T2: 4000, T4: 5000 }
limits:
  maxServerTransactions: 5000
  maxDialogs: 2000
  retryAfterSeconds: 30
  maxRingSeconds: 180
  ratePerSecond: 200
  rateBurst: 400
  maxMessageBytes: 65535
  maxHeaders: 128
  maxLineLength: 8192
hostedDomains: [meet.example.com, sip.example.com]
minSessionExpires: 90
idleTimeoutMs: 300000
advertisedAddress: { ipv4: 203.0.113.5 }
`;

describe('sip config', () => {
  it('accepts the documented block and reads the TLS files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipcfg-'));
    try {
      writeFileSync(join(dir, 'c.pem'), 'CERTDATA');
      writeFileSync(join(dir, 'k.pem'), 'KEYDATA');
      const raw: unknown = parse(BLOCK.replace('CERT', join(dir, 'c.pem')).replace('KEY', join(dir, 'k.pem')));
      const opts = stackOptionsFromConfig(raw);
      expect(opts.transports).toHaveLength(4);
      expect(opts.tls?.cert.toString()).toBe('CERTDATA');
      expect(opts.limits?.maxDialogs).toBe(2000);
      expect(opts.advertisedAddress).toEqual({ 4: '203.0.113.5', 6: undefined });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad values with a clear error', () => {
    const bad = sipConfigSchema.safeParse({ transports: [{ protocol: 'sctp', host: '0.0.0.0', port: 5060 }] });
    expect(bad.success).toBe(false);
    const badSe = sipConfigSchema.safeParse({ transports: [{ protocol: 'udp', host: '0.0.0.0', port: 5060 }], minSessionExpires: 30 });
    expect(badSe.success).toBe(false);
  });
});
