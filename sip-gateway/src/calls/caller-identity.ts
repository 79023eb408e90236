import { isSipUri, unquote, type SipRequest } from '../sip/index.js';

export interface CallerIdentity {
  /** What the roster shows: the asserted or From display name, else the user part, else "SIP caller". */
  displayName: string;
  /** `sip:user@host` (or the asserted `tel:`/`sips:` URI), null when the From URI is not SIP. */
  address: string | null;
}

/**
 * Who is calling, as far as the INVITE says: P-Asserted-Identity (RFC 3325) when present, else
 * From. Only names and addresses for the roster and call records — trust (host without a PIN)
 * comes from a live registration, never from these headers.
 */
export function callerIdentity(req: SipRequest): CallerIdentity {
  const from = req.from;
  const pai = req.get('P-Asserted-Identity');
  if (pai) {
    const m = /^\s*(?:"([^"]*)"\s*)?<([^>]+)>/.exec(pai);
    if (m?.[2] && /^sips?:|^tel:/i.test(m[2])) {
      const addr = m[2].split(';')[0]!;
      return { displayName: cleanName(m[1] ?? from.displayName, addr), address: addr };
    }
  }
  const uri = from.uri;
  const address = isSipUri(uri) && uri.user ? `sip:${uri.user}@${uri.host}` : isSipUri(uri) ? `sip:${uri.host}` : null;
  return { displayName: cleanName(from.displayName, address), address };
}

/** A display name fit for the roster: unquoted, no control characters, at most 64 characters. */
function cleanName(name: string | undefined, address: string | null): string {
  const trimmed = unquote((name ?? '').trim())
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
    .slice(0, 64);
  if (trimmed) return trimmed;
  const user = address ? /^(?:sips?|tel):([^@;]+)/i.exec(address)?.[1] : undefined;
  return user ? user.slice(0, 64) : 'SIP caller';
}

/** `sip:board@example.com` → `board@example.com` (how endpoints are addressed in the administration). */
export function stripScheme(address: string): string {
  return address.replace(/^sips?:/i, '');
}
