/** E.164 phone numbers for dial-in numbers: `+` then 8-15 digits, first digit not 0. */
const E164 = /^\+[1-9][0-9]{7,14}$/;

/** Removes spaces, dashes, dots and parentheses people type; returns null when not E.164. */
export function normalizeE164(input: string): string | null {
  const compact = input.trim().replace(/[\s().-]/g, '');
  return E164.test(compact) ? compact : null;
}
