/**
 * The SDES-SRTP state of one call: one SrtpContext per direction (ours protects what we send with
 * our key, the caller's unprotects what it sends with its key), over sip-gateway/src/media/rtp.
 */
import { MediaEngineError } from './port-allocator.js';
import type { SrtpSessionKeys } from './types.js';

/** Why an incoming SRTP/SRTCP packet was refused (the `kind` label of gateway_srtp_failures_total). */
export type SrtpFailureKind = 'auth' | 'replay' | 'malformed';

export interface SrtpSession {
  protectRtp(packet: Uint8Array): Uint8Array;
  protectRtcp(packet: Uint8Array): Uint8Array;
  /** The plain packet (a fresh buffer the caller may keep), or why it was refused. */
  unprotectRtp(packet: Uint8Array): Uint8Array | SrtpFailureKind;
  unprotectRtcp(packet: Uint8Array): Uint8Array | SrtpFailureKind;
}

export function createSrtpSession(keys: SrtpSessionKeys): SrtpSession {
  throw new MediaEngineError('srtp_keys_invalid', `SRTP (${keys.suite}) is not available yet`);
}
