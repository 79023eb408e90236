/** The sixteen DTMF digits (RFC 4733 events 0–15), in event-code order. */
export const DTMF_DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'] as const;
export type DtmfDigit = (typeof DTMF_DIGITS)[number];

/** What a key press can be: a digit, or a hook flash (RFC 4733 event 16) — recognised, but never part of a PIN. */
export type DtmfKey = DtmfDigit | 'hookflash';

/** How a digit reached the gateway; a stable string, also the metric label. */
export const DTMF_METHODS = ['rfc4733', 'sip_info', 'inband'] as const;
export type DtmfMethod = (typeof DTMF_METHODS)[number];

/** One key press, reported exactly once whatever the transport repeated. */
export type DtmfKeyEvent =
  | { readonly key: DtmfKey; readonly method: 'rfc4733'; readonly rtpTimestamp: number; readonly volumeDbm0: number }
  | { readonly key: DtmfKey; readonly method: 'sip_info'; readonly durationMs: number | undefined }
  | { readonly key: DtmfKey; readonly method: 'inband'; readonly atSample: number };

/** PIN entry uses 0–9 and `#` (end of PIN / join as guest) and `*`; A–D and hook flash are ignored by the IVR. */
export type PinKey = Exclude<DtmfDigit, 'A' | 'B' | 'C' | 'D'>;
export function isPinKey(key: DtmfKey): key is PinKey {
  return key.length === 1 && key !== 'A' && key !== 'B' && key !== 'C' && key !== 'D';
}

/** RFC 4733 §3.2 event code → key; undefined for codes that are not DTMF (tones, line events). */
export function keyFromEventCode(code: number): DtmfKey | undefined {
  if (code === 16) return 'hookflash';
  return DTMF_DIGITS[code];
}

/** Digit (case-insensitive A–D) → key, or undefined if the text is not exactly one DTMF digit. */
export function digitFromText(text: string): DtmfDigit | undefined {
  if (text.length !== 1) return undefined;
  const upper = text.toUpperCase();
  return (DTMF_DIGITS as readonly string[]).includes(upper) ? (upper as DtmfDigit) : undefined;
}
