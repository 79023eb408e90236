/**
 * SRTP's AES counter mode (RFC 3711 §4.1.1) and session-key derivation (§4.3.1, key derivation
 * rate 0) on node:crypto's AES-128.
 */
import { createCipheriv, type Cipher } from 'node:crypto';

export const SRTP_MASTER_KEY_BYTES = 16;
export const SRTP_MASTER_SALT_BYTES = 14;
export const SRTP_AUTH_KEY_BYTES = 20;

/** §4.3.2 key derivation labels. */
export const SrtpLabel = {
  rtpEncryption: 0,
  rtpAuthentication: 1,
  rtpSalt: 2,
  rtcpEncryption: 3,
  rtcpAuthentication: 4,
  rtcpSalt: 5,
} as const;

/**
 * §4.1.1 IV = (k_s·2^16) XOR (SSRC·2^64) XOR (i·2^16), written into `iv` (16 bytes). `indexHigh32`
 * and `indexLow16` are the 48-bit packet index split (for RTP: ROC and SEQ; for SRTCP: 0 and the
 * 31-bit index split the same way).
 */
export function writeAesCmIv(iv: Uint8Array, salt: Uint8Array, ssrc: number, indexHigh32: number, indexLow16: number): void {
  iv.set(salt.subarray(0, SRTP_MASTER_SALT_BYTES), 0);
  iv[14] = 0;
  iv[15] = 0;
  iv[4]! ^= (ssrc >>> 24) & 0xff;
  iv[5]! ^= (ssrc >>> 16) & 0xff;
  iv[6]! ^= (ssrc >>> 8) & 0xff;
  iv[7]! ^= ssrc & 0xff;
  iv[8]! ^= (indexHigh32 >>> 24) & 0xff;
  iv[9]! ^= (indexHigh32 >>> 16) & 0xff;
  iv[10]! ^= (indexHigh32 >>> 8) & 0xff;
  iv[11]! ^= indexHigh32 & 0xff;
  iv[12]! ^= (indexLow16 >>> 8) & 0xff;
  iv[13]! ^= indexLow16 & 0xff;
}

/**
 * AES-CM keystream for one session key. One ECB cipher is kept and fed the packet's counter blocks
 * (IV with the block number in its low 16 bits), then XORed in — 2–3× faster than a new CTR cipher
 * per packet. Valid because every SRTP/SRTCP/KDF IV has its low 16 bits zero (§4.1.1).
 */
export class AesCm {
  private readonly ecb: Cipher;
  private counters = Buffer.alloc(16 * 16);

  constructor(key: Uint8Array) {
    this.ecb = createCipheriv('aes-128-ecb', key, null);
    this.ecb.setAutoPadding(false);
  }

  /** out[outOffset…] = data XOR keystream(iv). `iv` must end in two zero bytes. */
  xor(iv: Uint8Array, data: Uint8Array, out: Uint8Array, outOffset: number): void {
    const blocks = (data.length + 15) >>> 4;
    if (blocks === 0) return;
    if (blocks > 0x10000) throw new RangeError('AES-CM segment longer than 2^16 blocks');
    if (this.counters.length < blocks * 16) this.counters = Buffer.alloc(blocks * 16);
    const counters = this.counters;
    for (let b = 0; b < blocks; b++) {
      const at = b << 4;
      counters.set(iv, at);
      counters[at + 14] = b >>> 8;
      counters[at + 15] = b & 0xff;
    }
    const keystream = this.ecb.update(counters.subarray(0, blocks * 16));
    for (let i = 0; i < data.length; i++) out[outOffset + i] = data[i]! ^ keystream[i]!;
  }
}

/** §4.3.1 with kdr = 0: the PRF output for `label`, `length` bytes. */
export function deriveSessionKey(masterKey: Uint8Array, masterSalt: Uint8Array, label: number, length: number): Uint8Array {
  // x = (label || r) XOR master_salt, with r = 0 and key_id right-aligned in the 112-bit salt.
  const iv = new Uint8Array(16);
  iv.set(masterSalt.subarray(0, SRTP_MASTER_SALT_BYTES), 0);
  iv[7]! ^= label;
  const out = new Uint8Array(length);
  new AesCm(masterKey).xor(iv, new Uint8Array(length), out, 0);
  return out;
}
