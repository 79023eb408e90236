import { formatUri, isSipUri, unquote, type SipRequest } from '../sip/index.js';
import { canonicalAor } from './aor.js';
import type { ContactInput, RegisterInput, RegistrationSource } from './types.js';
import { CodedError } from '../../../common/src/index.js';

/** Why a REGISTER could not be read; each maps to a 400 with a short reason phrase. */
export const REGISTER_PARSE_ERRORS = [
  'bad_headers',
  'bad_aor',
  'bad_contact',
  'bad_expires',
  'wildcard_with_others',
] as const;
export type RegisterParseErrorCode = (typeof REGISTER_PARSE_ERRORS)[number];

export class RegisterParseError extends CodedError<RegisterParseErrorCode> {
  override readonly name = 'RegisterParseError';
}

const MAX_EXPIRES = 2 ** 32 - 1;
const MAX_CONTACTS = 32;

function parseDeltaSeconds(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || !/^\d{1,10}$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return n <= MAX_EXPIRES ? n : undefined;
}

/**
 * Reads a REGISTER into the registrar's terms (RFC 3261 §10.3 steps 5–7). The message layer's
 * typed accessors throw on malformed headers; every such failure becomes a RegisterParseError.
 */
export function readRegister(
  req: SipRequest,
  source?: RegistrationSource,
): { ok: true; input: RegisterInput } | { ok: false; error: RegisterParseError } {
  const fail = (code: RegisterParseErrorCode, message: string) => ({ ok: false as const, error: new RegisterParseError(code, message) });
  let to, callId, cseq, rawContacts, expiresHeader: number | undefined;
  try {
    to = req.to;
    callId = req.callId;
    cseq = req.cseq;
    rawContacts = req.contacts;
  } catch (err) {
    return fail('bad_headers', err instanceof Error ? err.message : 'malformed header');
  }
  const expiresText = req.get('Expires');
  if (expiresText !== undefined) {
    expiresHeader = parseDeltaSeconds(expiresText);
    if (expiresHeader === undefined) return fail('bad_expires', 'Expires is not a delta-seconds value');
  }
  const aor = canonicalAor(formatUri(to.uri));
  if (!aor) return fail('bad_aor', 'To is not a SIP URI with a user part');

  let contacts: ContactInput[] | '*';
  if (rawContacts === '*') {
    contacts = '*';
  } else {
    if (req.getAll('Contact').some((v) => v.trim() === '*')) return fail('wildcard_with_others', '"*" must be the only Contact');
    if (rawContacts.length > MAX_CONTACTS) return fail('bad_contact', `at most ${MAX_CONTACTS} Contacts per REGISTER`);
    contacts = [];
    for (const c of rawContacts) {
      if (!isSipUri(c.uri)) return fail('bad_contact', 'Contact must be a SIP or SIPS URI');
      const contact: ContactInput = { uri: formatUri(c.uri) };
      if (c.params.has('expires')) {
        const e = parseDeltaSeconds(c.params.get('expires'));
        if (e === undefined) return fail('bad_expires', 'Contact expires is not a delta-seconds value');
        contact.expires = e;
      }
      const q = c.params.get('q');
      if (q !== undefined) {
        if (q === null || !/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(q)) return fail('bad_contact', 'q must be a qvalue (0 to 1)');
        contact.q = Number(q);
      }
      const instance = c.params.get('+sip.instance');
      if (instance !== undefined && instance !== null) contact.instanceId = unquote(instance);
      const regId = c.params.get('reg-id');
      if (regId !== undefined) {
        if (regId === null || !/^\d{1,10}$/.test(regId)) return fail('bad_contact', 'reg-id must be a number');
        contact.regId = Number(regId);
      }
      contacts.push(contact);
    }
  }

  const input: RegisterInput = {
    aor,
    callId,
    cseq: cseq.seq,
    contacts,
    path: req.getAll('Path').map((p) => p.trim()),
  };
  if (expiresHeader !== undefined) input.expiresHeader = expiresHeader;
  if (source) input.source = source;
  const userAgent = req.get('User-Agent');
  if (userAgent !== undefined) input.userAgent = userAgent.slice(0, 256);
  return { ok: true, input };
}
