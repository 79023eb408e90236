import type { ParticipantView } from '../protocol/index.js';

/**
 * Phone numbers in the roster are partly masked for guests (a guest sees `+4420•••••89`, a host
 * the whole number): the first 4 and last 2 digits stay. A SIP URI whose user part is not a number
 * is shown as it is — it names a room system, not a person's phone.
 */
export function maskAddress(address: string): string {
  const m = /^((?:sips?|tel):)?(\+?)(\d{7,})(@.*|;.*)?$/i.exec(address);
  if (!m) return address;
  const [, scheme = '', plus = '', digits = '', rest = ''] = m;
  const masked = digits.slice(0, 4) + '•'.repeat(digits.length - 6) + digits.slice(-2);
  return `${scheme}${plus}${masked}${rest}`;
}

/** The view as a guest sees it. */
export function viewForGuest(view: ParticipantView): ParticipantView {
  return view.address === null ? view : { ...view, address: maskAddress(view.address) };
}
