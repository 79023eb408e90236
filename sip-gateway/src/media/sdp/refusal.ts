import type { SdpRefusal, SdpRefusalReason } from './types.js';

/** SIP Warning codes (RFC 3261 §20.43) we use. */
export type WarnCode = 301 | 302 | 304 | 305 | 306 | 399;

/** Warning header value: `<code> convene "<text>"`; the text is ours, so quotes and backslashes are just dropped. */
export function refuse(status: 400 | 488, reason: SdpRefusalReason, code: WarnCode, text: string): SdpRefusal {
  return { ok: false, status, reason, warning: `${code} convene "${text.replace(/["\\\r\n]/g, '')}"` };
}
