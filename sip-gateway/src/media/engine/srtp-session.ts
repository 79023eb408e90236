/**
 * The SDES-SRTP state of one call: one SrtpContext per direction — ours protects what we send
 * with our key, the caller's unprotects what it sends with its key (RFC 4568 §6.1).
 */
import { SrtpContext, type SrtpFailures } from '../rtp/index.js';
import { MediaEngineError } from './port-allocator.js';
import type { SrtpSessionKeys } from './types.js';

/** Why an incoming SRTP/SRTCP packet was refused (the `kind` label of gateway_srtp_failures_total). */
export type SrtpFailureKind = keyof SrtpFailures;

export interface SrtpSession {
  protectRtp(packet: Uint8Array): Uint8Array;
  protectRtcp(packet: Uint8Array): Uint8Array;
  /** The plain packet (a fresh buffer the caller may keep), or why it was refused. */
  unprotectRtp(packet: Uint8Array): Uint8Array | SrtpFailureKind;
  unprotectRtcp(packet: Uint8Array): Uint8Array | SrtpFailureKind;
}

/**
 * The SRTP state for a (re-)applied session: the current one when the keys did not change — a
 * re-offer must not reset rollover counters and replay windows, or a replayed packet would pass —
 * a fresh one for new keys, none for plain RTP.
 */
export function srtpSessionFor(current: { keys: SrtpSessionKeys | null; session: SrtpSession | null }, next: SrtpSessionKeys | null): SrtpSession | null {
  if (!next) return null;
  const prev = current.keys;
  const same = prev !== null && current.session !== null && prev.suite === next.suite && prev.localKeyBase64 === next.localKeyBase64 && prev.remoteKeyBase64 === next.remoteKeyBase64;
  return same ? current.session : createSrtpSession(next);
}

export function createSrtpSession(keys: SrtpSessionKeys): SrtpSession {
  let outbound: SrtpContext;
  let inbound: SrtpContext;
  try {
    outbound = new SrtpContext(keys.suite, Buffer.from(keys.localKeyBase64, 'base64'));
    inbound = new SrtpContext(keys.suite, Buffer.from(keys.remoteKeyBase64, 'base64'));
  } catch (err) {
    throw new MediaEngineError('srtp_keys_invalid', `SRTP keys refused: ${(err as Error).message}`);
  }
  const before: SrtpFailures = { auth: 0, replay: 0, malformed: 0 };
  /** Which failure counter the last refusal bumped. */
  const why = (): SrtpFailureKind => {
    const f = inbound.failures;
    const kind: SrtpFailureKind = f.auth !== before.auth ? 'auth' : f.replay !== before.replay ? 'replay' : 'malformed';
    before.auth = f.auth;
    before.replay = f.replay;
    before.malformed = f.malformed;
    return kind;
  };
  return {
    protectRtp: (p) => outbound.protectRtp(p),
    protectRtcp: (p) => outbound.protectRtcp(p),
    unprotectRtp: (p) => inbound.unprotectRtp(p) ?? why(),
    unprotectRtcp: (p) => inbound.unprotectRtcp(p) ?? why(),
  };
}
