/**
 * SRTP's AES counter mode (RFC 3711 §4.1.1) and session-key derivation (§4.3.1, key derivation
 * rate 0) on node:crypto's AES-128-CTR: the §4.1.1 counter block puts the per-packet counter in
 * the low 16 bits, exactly where CTR mode increments, so one CTR call per packet is AES-CM.
 */
import { createCipheriv, type KeyObject } from 'node:crypto';

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

/** XOR `data` with the AES-CM keystream starting at counter block `iv`, into `out` at `outOffset`. */
export function aesCmXor(key: KeyObject | Uint8Array, iv: Uint8Array, data: Uint8Array, out: Uint8Array, outOffset: number): void {
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  out.set(cipher.update(data), outOffset);
}

/** §4.3.1 with kdr = 0: the PRF output for `label`, `length` bytes. */
export function deriveSessionKey(masterKey: Uint8Array, masterSalt: Uint8Array, label: number, length: number): Uint8Array {
  // x = (label || r) XOR master_salt, with r = 0 and key_id right-aligned in the 112-bit salt.
  const iv = new Uint8Array(16);
  iv.set(masterSalt.subarray(0, SRTP_MASTER_SALT_BYTES), 0);
  iv[7]! ^= label;
  const out = new Uint8Array(length);
  aesCmXor(masterKey, iv, new Uint8Array(length), out, 0);
  return out;
}
