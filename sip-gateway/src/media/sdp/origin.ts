import { randomBytes } from 'node:crypto';
import type { SdpOrigin } from './types.js';

/** A fresh o= identity for a new call: a random 62-bit session id (decimal, as RFC 4566 wants), version 1. */
export function newOrigin(): SdpOrigin {
  const id = randomBytes(8).readBigUInt64BE() >> 2n;
  return { sessionId: (id === 0n ? 1n : id).toString(), version: 1 };
}

/** The next version of our o= line; use it exactly when the SDP we send differs from the last one (RFC 3264 §8). */
export function bump(origin: SdpOrigin): SdpOrigin {
  return { sessionId: origin.sessionId, version: origin.version + 1 };
}

/** True when two SDP bodies differ only in their o= line (then the previous version must be reused, RFC 3264 §8). */
export function sameExceptOrigin(a: string, b: string): boolean {
  const strip = (s: string) => s.replace(/^o=.*$/m, '');
  return strip(a) === strip(b);
}
