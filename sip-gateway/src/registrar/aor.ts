/**
 * Address-of-record canonicalisation (RFC 3261 §10.3 step 5): `scheme:user@host`, with URI
 * parameters and headers dropped, escapes resolved and the host lower-cased (user parts are
 * case-sensitive). Returns undefined for anything that is not a SIP/SIPS URI with a user.
 */
export function canonicalAor(uri: string): string | undefined {
  const m = /^(sips?):([^@;?]+)@([^;?>]+)/i.exec(uri.trim());
  if (!m) return undefined;
  const scheme = (m[1] as string).toLowerCase();
  let user: string;
  try {
    user = decodeURIComponent(m[2] as string);
  } catch {
    return undefined;
  }
  // A password in the userinfo is deprecated and never part of the identity.
  user = user.split(':')[0] as string;
  if (user === '') return undefined;
  const hostPort = (m[3] as string).toLowerCase();
  // Default ports are the same AOR; RFC 3261 compares them as different, but UAs differ in
  // whether they write ":5060", and a registrar that splits Alice in two helps no one.
  const host = hostPort.replace(/:(5060|5061)$/, '');
  if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/.test(host)) return undefined;
  return `${scheme}:${user}@${host}`;
}

/** The host of a canonical AOR (what "do we host this domain" is decided on). */
export function aorDomain(aor: string): string {
  const at = aor.lastIndexOf('@');
  return aor.slice(at + 1).replace(/:\d+$/, '');
}

/**
 * The identity of a binding inside its AOR: with `+sip.instance` the instance (and reg-id)
 * identifies the device (RFC 5626 §6), otherwise the Contact URI with scheme and host
 * lower-cased.
 */
export function bindingKey(contact: { uri: string; instanceId?: string; regId?: number }): string {
  if (contact.instanceId) return `instance:${contact.instanceId}${contact.regId !== undefined ? `;${contact.regId}` : ''}`;
  const m = /^(sips?):(?:([^@]*)@)?([^;?]*)(.*)$/i.exec(contact.uri.trim());
  if (!m) return `uri:${contact.uri.trim()}`;
  const user = m[2] !== undefined ? `${m[2]}@` : '';
  return `uri:${(m[1] as string).toLowerCase()}:${user}${(m[3] as string).toLowerCase()}${m[4] as string}`;
}
