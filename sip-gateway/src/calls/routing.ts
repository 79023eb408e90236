/**
 * Which meeting a Request-URI names (SPEC §2): `alias@domain`, `numericId@domain`, the personal
 * `name.vmr@domain`, or the user part alone when the host is one of our own addresses (then the
 * default domain applies). Pure; the domain lookup is passed in.
 */
export interface RouteContext {
  defaultDomain: string;
  /** Configured hosted domains and our own transport addresses (the stack's static check). */
  isStaticallyHosted(host: string): boolean;
  /** Whether `host` is an IP address (a Request-URI naming our address, not a domain). */
  isIpAddress(host: string): boolean;
  /** A customer's verified calling domain (admin store, at call time). */
  isVerifiedCustomerDomain(domain: string): Promise<boolean>;
}

export type RouteResult =
  | { ok: true; address: string }
  /** not_hosted: a domain we do not host (403, never relayed); bad_user: no usable user part (404). */
  | { ok: false; code: 'not_hosted' | 'bad_user'; status: 403 | 404; reason: string };

const USER = /^[a-z0-9][a-z0-9._-]{0,127}$/;

export async function routeRequestUri(uri: { user: string | undefined; host: string }, ctx: RouteContext): Promise<RouteResult> {
  const host = uri.host.toLowerCase().replace(/^\[|\]$/g, '');
  // A phone number dialled as +E.164 keeps only its digits (numeric ids are digits).
  const rawUser = decodeURIComponent(uri.user ?? '').trim().toLowerCase();
  const user = /^\+?\d+$/.test(rawUser) ? rawUser.replace(/^\+/, '') : rawUser;
  if (!user || !USER.test(user)) return { ok: false, code: 'bad_user', status: 404, reason: 'Not Found' };
  const defaultDomain = ctx.defaultDomain.toLowerCase();
  if (/^\d+$/.test(user)) {
    // A numeric id is the room's id whatever domain the caller put after it, as long as it is ours.
    if (ctx.isIpAddress(host) || (await hosted(host, defaultDomain, ctx))) return { ok: true, address: user };
    return { ok: false, code: 'not_hosted', status: 403, reason: 'Forbidden' };
  }
  if (ctx.isIpAddress(host)) {
    return ctx.isStaticallyHosted(host) ? { ok: true, address: `${user}@${defaultDomain}` } : { ok: false, code: 'not_hosted', status: 403, reason: 'Forbidden' };
  }
  if (await hosted(host, defaultDomain, ctx)) return { ok: true, address: `${user}@${host}` };
  return { ok: false, code: 'not_hosted', status: 403, reason: 'Forbidden' };
}

async function hosted(host: string, defaultDomain: string, ctx: RouteContext): Promise<boolean> {
  // The default domain and its subdomains are ours (SPEC §2); others must be verified customer domains.
  if (host === defaultDomain || host.endsWith(`.${defaultDomain}`) || ctx.isStaticallyHosted(host)) return true;
  return ctx.isVerifiedCustomerDomain(host);
}
