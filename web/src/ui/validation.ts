import type { JoinMode } from '../../../server/src/protocol/index.js';
import type { CALL_BANDWIDTHS_KBPS } from '../../../server/src/protocol/index.js';

/** The call bandwidths offered (kbps), the same list the server accepts. */
export const BANDWIDTHS: ReadonlyArray<(typeof CALL_BANDWIDTHS_KBPS)[number]> = [256, 576, 1200, 2400, 4000];
export const JOIN_MODES: ReadonlyArray<{ value: JoinMode; label: string; hint: string }> = [
  { value: 'video', label: 'Video', hint: 'Send and receive audio and video' },
  { value: 'audio-only', label: 'Audio only', hint: 'No video in either direction' },
  { value: 'audio+presentation', label: 'Audio + presentation', hint: 'Audio and shared screens, no camera video' },
];

export interface JoinFormValues {
  address: string;
  displayName: string;
  pin: string;
  mode: string;
  bandwidthKbps: string;
}

export interface ValidJoin {
  address: string;
  displayName: string;
  pin?: string;
  mode: JoinMode;
  bandwidthKbps: number;
}

export type JoinFieldErrors = Partial<Record<keyof JoinFormValues, string>>;

// local@domain (SPEC §2 local-part characters) or a numeric meeting ID.
const ADDRESS = /^[a-z][a-z0-9._-]*@[a-z0-9-]+(\.[a-z0-9-]+)+$/;
const NUMERIC_ID = /^\d{3,20}$/;

export function formatBandwidth(kbps: number): string {
  return kbps >= 1000 ? `${(kbps / 1000).toLocaleString('en', { maximumFractionDigits: 1 })} Mbps` : `${kbps} kbps`;
}

/** Checks the join form; either the cleaned request or a message per bad field. */
export function validateJoinForm(v: JoinFormValues): { ok: true; value: ValidJoin } | { ok: false; errors: JoinFieldErrors } {
  const errors: JoinFieldErrors = {};
  const address = v.address.trim().toLowerCase();
  if (!address) errors.address = 'Enter the meeting address, for example team.room@convene.example.';
  else if (!ADDRESS.test(address) && !NUMERIC_ID.test(address)) errors.address = 'That does not look like a meeting address (name@domain) or a meeting ID.';
  const displayName = v.displayName.trim();
  if (!displayName) errors.displayName = 'Enter your name so others know who you are.';
  else if (displayName.length > 64) errors.displayName = 'Your name can be at most 64 characters.';
  const pin = v.pin.trim();
  if (pin && !/^\d{4,20}$/.test(pin)) errors.pin = 'A PIN is 4 to 20 digits.';
  const mode = JOIN_MODES.find((m) => m.value === v.mode)?.value;
  if (!mode) errors.mode = 'Choose how to join.';
  const bandwidthKbps = Number(v.bandwidthKbps);
  if (!(BANDWIDTHS as readonly number[]).includes(bandwidthKbps)) errors.bandwidthKbps = 'Choose a call bandwidth.';
  if (Object.keys(errors).length > 0 || !mode) return { ok: false, errors };
  return { ok: true, value: { address, displayName, ...(pin ? { pin } : {}), mode, bandwidthKbps } };
}
