/**
 * SDES (RFC 4568) a=crypto lines: which offered line we can use, and our own keys.
 * We take the AES_CM_128_HMAC_SHA1_80/_32 suites with one inline key (16-byte key + 14-byte salt)
 * and no MKI (the engine's SRTP contexts have no MKI field). A line asking for anything we would
 * silently not honour (unencrypted/unauthenticated SRTP, a key derivation rate, FEC order) is
 * skipped rather than half-honoured; WSH (a replay window hint) is harmless and ignored.
 */
import { randomBytes } from 'node:crypto';
import type { SrtpSessionKeys } from '../engine/types.js';

export type SrtpSuite = SrtpSessionKeys['suite'];
export const SRTP_SUITES: readonly SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

/** 30 bytes of key||salt in base64 is exactly 40 characters without padding. */
const KEY_SALT_BASE64 = /^[A-Za-z0-9+/]{40}$/;

export interface SdesCrypto {
  tag: number;
  suite: SrtpSuite;
  keyBase64: string;
}

/** Parses one a=crypto value ("1 AES_CM_128_HMAC_SHA1_80 inline:KEY[|2^31][;…] [session-params]"); null when unusable. */
export function parseCryptoLine(value: string): SdesCrypto | null {
  const parts = value.split(/[ \t]+/);
  if (parts.length < 3) return null;
  const [tagText, suite, keyParams, ...sessionParams] = parts as [string, string, string, ...string[]];
  if (!/^\d{1,9}$/.test(tagText)) return null;
  if (!(SRTP_SUITES as readonly string[]).includes(suite)) return null;
  if (sessionParams.some((p) => !/^WSH=\d{1,10}$/.test(p))) return null;
  // Several key-params (';') mean several master keys selected by MKI: not for us.
  if (keyParams.includes(';') || !keyParams.startsWith('inline:')) return null;
  const [key, ...rest] = keyParams.slice('inline:'.length).split('|');
  if (!key || !KEY_SALT_BASE64.test(key) || rest.length > 2) return null;
  for (const r of rest) {
    // A lifetime (2^n or a decimal) is fine: we rekey on every re-INVITE long before it.
    if (/^(2\^\d{1,2}|\d{1,20})$/.test(r)) continue;
    return null; // an MKI ("1:4") or garbage
  }
  return { tag: Number(tagText), suite: suite as SrtpSuite, keyBase64: key };
}

/** The first offered a=crypto line we support (RFC 4568 §7.1.1: the answerer picks one, keeping its tag). */
export function pickCrypto(values: readonly string[]): SdesCrypto | null {
  for (const v of values) {
    const c = parseCryptoLine(v);
    if (c) return c;
  }
  return null;
}

/** A fresh SRTP master key||salt (30 bytes) as SDP carries it. */
export function newSrtpKey(): string {
  return randomBytes(30).toString('base64');
}
