/** One Contact of a REGISTER, already parsed by the SIP layer. */
export interface ContactInput {
  /** The Contact URI (addr-spec) as sent. */
  uri: string;
  /** The contact's `expires` parameter, in seconds, if present. */
  expires?: number;
  /** The `q` parameter (0..1), if present. */
  q?: number;
  /** `+sip.instance` value (RFC 5626/5627), without the surrounding quotes/angle brackets. */
  instanceId?: string;
  /** `reg-id` (RFC 5626), if present. */
  regId?: number;
}

/** Where the REGISTER came from, so the gateway can reach a UA behind NAT. */
export interface RegistrationSource {
  transport: string;
  address: string;
  port: number;
}

/** A REGISTER in the registrar's terms (RFC 3261 §10.3). */
export interface RegisterInput {
  /** Canonical address-of-record, e.g. `sip:alice@example.com` (see `canonicalAor`). */
  aor: string;
  callId: string;
  cseq: number;
  /** The Expires header, in seconds, if present. */
  expiresHeader?: number;
  /** The Contacts, `'*'` for the wildcard, or empty to just fetch the bindings. */
  contacts: readonly ContactInput[] | '*';
  /** Path header entries in order (RFC 3327), stored with every binding of this request. */
  path: readonly string[];
  source?: RegistrationSource;
  userAgent?: string;
}

/** A stored binding: one reachable contact for an address-of-record. */
export interface Binding {
  aor: string;
  /** Identity of the binding within its AOR (instance ID when present, else the normalised URI). */
  key: string;
  uri: string;
  q?: number;
  instanceId?: string;
  regId?: number;
  path: string[];
  callId: string;
  cseq: number;
  /** Epoch ms at which the binding lapses. */
  expiresAt: number;
  /** Epoch ms of the first registration of this binding. */
  registeredAt: number;
  source?: RegistrationSource;
  userAgent?: string;
}

/** Why a REGISTER was refused; stable names (metric labels, logs). */
export const REGISTER_REFUSALS = ['interval_too_brief', 'out_of_order', 'too_many_contacts', 'invalid_wildcard', 'invalid_contact'] as const;
export type RegisterRefusal = (typeof REGISTER_REFUSALS)[number];

export type RegisterResult =
  | {
      ok: true;
      /** Every live binding of the AOR after the update. */
      bindings: Binding[];
      added: Binding[];
      refreshed: Binding[];
      removed: Binding[];
      /** Bindings found lapsed while processing this request. */
      expired: Binding[];
    }
  | { ok: false; refusal: 'interval_too_brief'; minExpires: number }
  | { ok: false; refusal: Exclude<RegisterRefusal, 'interval_too_brief'>; detail: string };

export interface ExpiryPolicy {
  /** Used when neither the contact nor the request says (RFC 3261 suggests 3600). */
  defaultExpires: number;
  /** Shorter non-zero requests get 423 with Min-Expires. */
  minExpires: number;
  /** Longer requests are shortened to this. */
  maxExpires: number;
  /** Cap on bindings per AOR, enforced atomically. */
  maxContactsPerAor: number;
}
