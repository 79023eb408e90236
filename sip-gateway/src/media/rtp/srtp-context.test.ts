import { describe, expect, it } from 'vitest';
import { SrtpContext, SrtpError, type SrtpSuite } from './srtp-context.js';
import { AesCm, SrtpLabel, deriveSessionKey, writeAesCmIv } from './srtp-keys.js';
import { parseRtp, writeRtpPacket } from './rtp-packet.js';
import { buildSenderReport, parseRtcp } from './rtcp.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

describe('AES-CM and key derivation (RFC 3711 Appendix B)', () => {
  it('B.2: the keystream for the session key and pre-shifted salt matches at the start and at the end of the segment', () => {
    const key = hex('2B7E151628AED2A6ABF7158809CF4F3C');
    const iv = new Uint8Array(16);
    writeAesCmIv(iv, hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD'), 0, 0, 0);
    expect(toHex(iv)).toBe('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000');
    const segment = new Uint8Array(1044512);
    new AesCm(key).xor(iv, new Uint8Array(segment.length), segment, 0);
    expect(toHex(segment.subarray(0, 48))).toBe('E03EAD0935C95E80E166B16DD92B4EB4' + 'D23513162B02D0F72A43A2FE4A5F97AB' + '41E95B3BB0A2E8DD477901E4FCA894C0');
    expect(toHex(segment.subarray(segment.length - 48))).toBe('EC8CDF7398607CB0F2D21675EA9EA1E4' + '362B7C3C6773516318A077D7FC5073AE' + '6A2CC3787889374FBEB4C81B17BA6C44');
  });

  it('B.3: session encryption key, salt and authentication key from the master key and salt', () => {
    const masterKey = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
    const masterSalt = hex('0EC675AD498AFEEBB6960B3AABE6');
    expect(toHex(deriveSessionKey(masterKey, masterSalt, SrtpLabel.rtpEncryption, 16))).toBe('C61E7A93744F39EE10734AFE3FF7A087');
    expect(toHex(deriveSessionKey(masterKey, masterSalt, SrtpLabel.rtpSalt, 14))).toBe('30CBBC08863D8C85D49DB34A9AE1');
    expect(toHex(deriveSessionKey(masterKey, masterSalt, SrtpLabel.rtpAuthentication, 94))).toBe(
      'CEBE321F6FF7716B6FD4AB49AF256A15' +
        '6D38BAA48F0A0ACF3C34E2359E6CDBCE' +
        'E049646C43D9327AD175578EF7227098' +
        '6371C10C9A369AC2F94A8C5FBCDDDC25' +
        '6D6E919A48B610EF17C2041E47403576' +
        '6B68642C59BBFC2F34DB60DBDFB2',
    );
  });

  it('the counter block carries SSRC and the 48-bit index in the RFC 3711 §4.1.1 positions', () => {
    const iv = new Uint8Array(16);
    writeAesCmIv(iv, new Uint8Array(14), 0x11223344, 0xaabbccdd, 0xeeff);
    expect(toHex(iv)).toBe('00000000' + '11223344' + 'AABBCCDD' + 'EEFF' + '0000');
  });
});

const MASTER = hex('E1F97A0D3E018BE0D64FA32C06DE4139' + '0EC675AD498AFEEBB6960B3AABE6');
const SSRC = 0xcafebabe;

function rtp(seq: number, payload = new Uint8Array(160).map((_, i) => (i * 7 + seq) & 0xff), ssrc = SSRC): Uint8Array {
  const out = new Uint8Array(200);
  const n = writeRtpPacket(out, { marker: false, payloadType: 0, sequenceNumber: seq & 0xffff, timestamp: seq * 160, ssrc }, payload);
  return out.slice(0, n);
}

describe.each(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as SrtpSuite[])('SRTP %s', (suite) => {
  const tagBytes = suite.endsWith('80') ? 10 : 4;

  it('round-trips across a sequence-number wrap (the rollover counter advances on both sides)', () => {
    const tx = new SrtpContext(suite, MASTER);
    const rx = new SrtpContext(suite, MASTER);
    let accepted = 0;
    for (let seq = 65500; seq < 65536 + 100; seq++) {
      const plain = rtp(seq);
      const secured = tx.protectRtp(plain);
      expect(secured.length).toBe(plain.length + tagBytes);
      expect(Buffer.from(secured.subarray(12, 12 + 160)).equals(Buffer.from(plain.subarray(12)))).toBe(false);
      const back = rx.unprotectRtp(secured);
      expect(back).not.toBeNull();
      expect(Buffer.from(back!).equals(Buffer.from(plain))).toBe(true);
      accepted++;
    }
    expect(accepted).toBe(136);
    expect(rx.failures).toEqual({ auth: 0, replay: 0, malformed: 0 });
  });

  it('after the wrap, packets are encrypted with ROC 1: a receiver that guessed ROC 0 would fail authentication', () => {
    // Packet 65536+5 encrypted by a sender that has seen the wrap, given to a fresh receiver (ROC 0).
    const tx = new SrtpContext(suite, MASTER);
    tx.protectRtp(rtp(65535));
    const afterWrap = tx.protectRtp(rtp(65536 + 5));
    const fresh = new SrtpContext(suite, MASTER);
    expect(fresh.unprotectRtp(afterWrap)).toBeNull();
    expect(fresh.failures.auth).toBe(1);
  });

  it('accepts reordered packets (also across the wrap) and rejects each replay once accepted', () => {
    const tx = new SrtpContext(suite, MASTER);
    const rx = new SrtpContext(suite, MASTER);
    const seqs = [65530, 65531, 65533, 65532, 65535, 0, 65534, 2, 1, 3, 4, 5];
    const secured = new Map(seqs.map((s) => [s, tx.protectRtp(rtp(s))] as const));
    for (const s of seqs) {
      const back = rx.unprotectRtp(secured.get(s)!);
      expect(back, `seq ${s}`).not.toBeNull();
      expect(parseRtp(back!)!.sequenceNumber).toBe(s);
    }
    expect(rx.unprotectRtp(secured.get(65534)!)).toBeNull();
    expect(rx.unprotectRtp(secured.get(3)!)).toBeNull();
    expect(rx.failures.replay).toBe(2);
  });

  it('rejects a packet older than the 64-packet window even if never seen', () => {
    const tx = new SrtpContext(suite, MASTER);
    const rx = new SrtpContext(suite, MASTER);
    const early = tx.protectRtp(rtp(1000));
    tx.protectRtp(rtp(1001));
    for (let s = 1002; s < 1100; s++) expect(rx.unprotectRtp(tx.protectRtp(rtp(s)))).not.toBeNull();
    expect(rx.unprotectRtp(early)).toBeNull();
    expect(rx.failures.replay).toBe(1);
  });

  it('rejects a tampered payload, header or tag and a wrong key, counting auth failures', () => {
    const tx = new SrtpContext(suite, MASTER);
    const rx = new SrtpContext(suite, MASTER);
    const good = tx.protectRtp(rtp(7));
    for (const at of [1, 12 + 50, good.length - 1]) {
      const bad = good.slice();
      bad[at]! ^= 0x01;
      expect(rx.unprotectRtp(bad)).toBeNull();
    }
    const otherKey = MASTER.slice();
    otherKey[0]! ^= 0xff;
    expect(new SrtpContext(suite, otherKey).unprotectRtp(good)).toBeNull();
    expect(rx.failures.auth).toBe(3);
    // The genuine packet still gets through: failures left no state behind.
    expect(rx.unprotectRtp(good)).not.toBeNull();
  });

  it('counts truncated or non-RTP input as malformed and never throws on random bytes', () => {
    const rx = new SrtpContext(suite, MASTER);
    expect(rx.unprotectRtp(new Uint8Array(0))).toBeNull();
    expect(rx.unprotectRtp(new Uint8Array(12 + tagBytes - 1).fill(0x80))).toBeNull();
    expect(rx.failures.malformed).toBe(2);
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const junk = new Uint8Array(rand() % 80).map(rand);
      expect(rx.unprotectRtp(junk)).toBeNull();
      expect(rx.unprotectRtcp(junk)).toBeNull();
    }
  });

  it('SRTCP round trip: encrypted, E bit and index in the trailer, 80-bit tag for both suites; tamper and replay are refused', () => {
    const tx = new SrtpContext(suite, MASTER);
    const rx = new SrtpContext(suite, MASTER);
    const buf = new Uint8Array(200);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      const n = buildSenderReport(buf, { ssrc: SSRC, ntpTimeMs: 1_700_000_000_000 + i * 5000, rtpTimestamp: i * 40000, packetCount: i * 250, octetCount: i * 40000, reports: [], cname: 'convene@gw' });
      const plain = buf.slice(0, n);
      const secured = tx.protectRtcp(plain);
      expect(secured.length).toBe(n + 4 + 10);
      expect(secured[n]! & 0x80).toBe(0x80);
      expect(((secured[n + 2]! << 8) | secured[n + 3]!) & 0x7fff).toBe(i);
      expect(Buffer.from(secured.subarray(8, n)).equals(Buffer.from(plain.subarray(8)))).toBe(false);
      const back = rx.unprotectRtcp(secured);
      expect(back && Buffer.from(back).equals(Buffer.from(plain))).toBe(true);
      expect(parseRtcp(back!)![0]).toMatchObject({ type: 'sr', packetCount: i * 250 });
      sent.push(secured);
    }
    expect(rx.unprotectRtcp(sent[1]!)).toBeNull();
    expect(rx.failures.replay).toBe(1);
    const tampered = sent[2]!.slice();
    tampered[20]! ^= 4;
    expect(new SrtpContext(suite, MASTER).unprotectRtcp(tampered)).toBeNull();
  });

  it('keeps ROC and replay state per SSRC', () => {
    const tx = new SrtpContext(suite, MASTER);
    const rx = new SrtpContext(suite, MASTER);
    const a = tx.protectRtp(rtp(100, undefined, 1));
    const b = tx.protectRtp(rtp(100, undefined, 2));
    expect(rx.unprotectRtp(a)).not.toBeNull();
    expect(rx.unprotectRtp(b)).not.toBeNull();
    expect(rx.failures.replay).toBe(0);
  });
});

describe('SrtpContext construction', () => {
  it('refuses a key of the wrong length with a coded error', () => {
    expect(() => new SrtpContext('AES_CM_128_HMAC_SHA1_80', new Uint8Array(16))).toThrow(SrtpError);
    try {
      new SrtpContext('AES_CM_128_HMAC_SHA1_80', new Uint8Array(29));
    } catch (e) {
      expect((e as SrtpError).code).toBe('bad_key');
    }
  });

  it('the two suites differ only in the SRTP tag: an _80 packet truncated to 32 bits authenticates under _32', () => {
    const plain = rtp(42);
    const long = new SrtpContext('AES_CM_128_HMAC_SHA1_80', MASTER).protectRtp(plain);
    const short = long.slice(0, plain.length + 4);
    expect(new SrtpContext('AES_CM_128_HMAC_SHA1_32', MASTER).unprotectRtp(short)).not.toBeNull();
  });
});
