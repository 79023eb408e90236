import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../../../common/src/index.js';
import type { DigestAuthenticator } from '../auth/index.js';
import type { IncomingRequest } from '../sip/index.js';
import { formatUri, isSipUri, parseUri, type SipRequest } from '../sip/index.js';
import { aorDomain, bindingKey } from './aor.js';
import { readRegister, type RegisterParseErrorCode } from './register-request.js';
import type { Registrar } from './registrar.js';
import type { Binding, RegistrationSource } from './types.js';

/** A response in transport-neutral terms; the stack adapter turns it into a SipResponse. */
export interface ServiceReply {
  status: number;
  reason: string;
  /** In order; a name may repeat (one WWW-Authenticate per algorithm, one Contact per binding). */
  headers: [name: string, value: string][];
}

export interface RegistrarServiceOptions {
  registrar: Registrar;
  authenticator: DigestAuthenticator;
  /** Domains we are the registrar for (lower-case). Anything else gets 404; we never relay. */
  domains: readonly string[];
  /** Fixed digest realm; by default the AOR's domain is the realm. */
  realm?: string;
  /** May `username` (authenticated) change the bindings of `aor`? Default: the AOR's user part is the username. */
  authorize?: (username: string, aor: string) => boolean;
  /** Capabilities answered to OPTIONS (and put in Allow on 405s by the caller). */
  capabilities?: { allow?: readonly string[]; accept?: readonly string[]; supported?: readonly string[] };
  clock: Clock;
  logger: Logger;
}

/** The part of the stack facade the service needs: one handler per method (SipStack satisfies it). */
export interface RequestRouter {
  handle(method: string, handler: (req: IncomingRequest) => void | Promise<void>): void;
}

const DEFAULT_ALLOW = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'UPDATE'];
const DEFAULT_ACCEPT = ['application/sdp'];
const DEFAULT_SUPPORTED = ['path', 'timer'];
/** Extensions a REGISTER may Require of us. */
const UNDERSTOOD = new Set(['path']);

const PARSE_REASON: Record<RegisterParseErrorCode, string> = {
  bad_headers: 'Bad Request',
  bad_aor: 'Bad To URI',
  bad_contact: 'Bad Contact',
  bad_expires: 'Bad Expires',
  wildcard_with_others: 'Invalid Wildcard Contact',
};

const reply = (status: number, reason: string, headers: [string, string][] = []): ServiceReply => ({ status, reason, headers });

function userOf(aor: string): string {
  return aor.slice(aor.indexOf(':') + 1, aor.lastIndexOf('@'));
}

/**
 * Answers REGISTER (RFC 3261 §10.3 with digest auth) and OPTIONS for the domains we host.
 * Knows SIP messages but not sockets: `handle()` returns the reply and the stack adapter sends it.
 */
export class RegistrarService {
  private readonly domains: Set<string>;

  constructor(private readonly options: RegistrarServiceOptions) {
    this.domains = new Set(options.domains.map((d) => d.toLowerCase()));
  }

  /** The methods this service answers. */
  static readonly METHODS = ['REGISTER', 'OPTIONS'] as const;

  /** Takes over REGISTER and OPTIONS on the stack. */
  attach(stack: RequestRouter): void {
    for (const method of RegistrarService.METHODS) stack.handle(method, (req) => this.serve(req));
  }

  /**
   * Answers a REGISTER or OPTIONS handed up by the stack. Never throws: anything unexpected
   * becomes a 500 without internals (the details go to the log with the Call-ID).
   */
  async serve(incoming: IncomingRequest): Promise<void> {
    const flow = incoming.flow;
    let answer: ServiceReply;
    try {
      answer = await this.handle(incoming.request, { transport: flow.protocol, address: flow.remote.address, port: flow.remote.port });
    } catch (err) {
      this.options.logger.error({ err, callId: incoming.request.get('Call-ID'), method: incoming.method }, 'registrar service failed');
      answer = reply(500, 'Server Internal Error');
    }
    if (incoming.answered) return;
    try {
      incoming.respond(answer.status, { reason: answer.reason, headers: answer.headers });
    } catch (err) {
      this.options.logger.warn({ err, callId: incoming.request.get('Call-ID') }, 'could not send registrar response');
    }
  }

  async handle(req: SipRequest, source?: RegistrationSource): Promise<ServiceReply> {
    if (req.method === 'REGISTER') return this.handleRegister(req, source);
    if (req.method === 'OPTIONS') return this.handleOptions(req);
    return reply(405, 'Method Not Allowed', [['Allow', this.allow.join(', ')]]);
  }

  private get allow(): readonly string[] {
    return this.options.capabilities?.allow ?? DEFAULT_ALLOW;
  }

  private hosts(host: string): boolean {
    return this.domains.has(host.toLowerCase());
  }

  handleOptions(req: SipRequest): ServiceReply {
    const uri = req.uri;
    // Keep-alive pings address us by IP; anything naming a domain must be one we host.
    const byAddress = isSipUri(uri) && isIpHost(uri.host);
    if (!isSipUri(uri) || (!byAddress && !this.hosts(uri.host))) return reply(404, 'Not Found');
    const caps = this.options.capabilities;
    return reply(200, 'OK', [
      ['Allow', this.allow.join(', ')],
      ['Accept', (caps?.accept ?? DEFAULT_ACCEPT).join(', ')],
      ['Accept-Encoding', 'identity'],
      ['Accept-Language', 'en'],
      ['Supported', (caps?.supported ?? DEFAULT_SUPPORTED).join(', ')],
    ]);
  }

  async handleRegister(req: SipRequest, source?: RegistrationSource): Promise<ServiceReply> {
    const log = this.options.logger;
    const requestUri = req.uri;
    if (!isSipUri(requestUri)) return reply(416, 'Unsupported URI Scheme');
    // A UA configured with the registrar's address sends REGISTER sip:<our IP>; the stack only
    // hands us requests for our own addresses or hosted domains. The AOR's domain decides below.
    if (!isIpHost(requestUri.host) && !this.hosts(requestUri.host)) return reply(404, 'Not Found');

    const read = readRegister(req, source);
    if (!read.ok) return reply(400, PARSE_REASON[read.error.code]);
    const input = read.input;
    if (!this.hosts(aorDomain(input.aor))) return reply(404, 'Not Found');

    const unsupported = req.optionTags('Require').filter((t) => !UNDERSTOOD.has(t));
    if (unsupported.length > 0) return reply(420, 'Bad Extension', [['Unsupported', unsupported.join(', ')]]);

    const realm = this.options.realm ?? aorDomain(input.aor);
    const requestUriText = formatUri(requestUri).toLowerCase();
    const auth = await this.options.authenticator.verify({
      realm,
      method: req.method,
      requestUri: formatUri(requestUri),
      credentials: req.getAll('Authorization'),
      uriMatches: (digestUri) => formatUri(parseUri(digestUri)).toLowerCase() === requestUriText,
    });
    if (!auth.ok) {
      switch (auth.outcome) {
        case 'challenge':
        case 'challenge_stale':
          return reply(401, 'Unauthorized', this.options.authenticator.challengeHeaders('www', realm, { stale: auth.outcome === 'challenge_stale' }));
        case 'forbidden':
          return reply(403, 'Forbidden');
        case 'bad_request':
          return reply(400, 'Bad Authorization');
        case 'unavailable':
          return reply(503, 'Service Unavailable', [['Retry-After', '5']]);
      }
    }
    // A device may authenticate as the AOR's user part or as the whole address (our provisioning
    // hands out the address as the username); either way it may only register its own AOR.
    const authorize =
      this.options.authorize ??
      ((username: string, aor: string) => userOf(aor) === username || aor.replace(/^sips?:/, '') === username.toLowerCase());
    if (!authorize(auth.username, input.aor)) {
      log.info({ username: auth.username, aor: input.aor, callId: input.callId }, 'REGISTER for another user refused');
      return reply(403, 'Forbidden');
    }

    let result;
    try {
      result = await this.options.registrar.register(input);
    } catch (err) {
      log.warn({ err, aor: input.aor, callId: input.callId }, 'registrar store failed');
      return reply(503, 'Service Unavailable', [['Retry-After', '5']]);
    }
    if (!result.ok) {
      log.info({ aor: input.aor, callId: input.callId, refusal: result.refusal }, 'REGISTER refused');
      switch (result.refusal) {
        case 'interval_too_brief':
          return reply(423, 'Interval Too Brief', [['Min-Expires', String(result.minExpires)]]);
        case 'too_many_contacts':
          return reply(403, 'Too Many Contacts');
        case 'out_of_order':
          return reply(400, 'CSeq Out of Order');
        case 'invalid_wildcard':
          return reply(400, 'Invalid Wildcard Contact');
        case 'invalid_contact':
          return reply(400, 'Bad Contact');
      }
    }

    const now = this.options.clock.now();
    const headers: [string, string][] = result.bindings.map((b) => ['Contact', this.contactValue(b, now)]);
    // Old UAs read the granted time from Expires rather than their Contact's expires param.
    if (input.contacts !== '*' && input.contacts[0]) {
      const key = bindingKey(input.contacts[0]);
      const own = result.bindings.find((b) => b.key === key);
      headers.push(['Expires', String(own ? secondsLeft(own, now) : 0)]);
    }
    if (input.path.length > 0 && req.optionTags('Supported').includes('path')) {
      for (const p of input.path) headers.push(['Path', p]);
    }
    headers.push(['Date', new Date(now).toUTCString()]);
    return reply(200, 'OK', headers);
  }

  private contactValue(b: Binding, now: number): string {
    let v = `<${b.uri}>;expires=${secondsLeft(b, now)}`;
    if (b.q !== undefined) v += `;q=${b.q}`;
    if (b.instanceId !== undefined) v += `;+sip.instance="${b.instanceId.replace(/["\\]/g, '')}"`;
    if (b.regId !== undefined) v += `;reg-id=${b.regId}`;
    return v;
  }
}

function isIpHost(host: string): boolean {
  return isIP(host) !== 0;
}

function secondsLeft(b: Binding, now: number): number {
  return Math.max(0, Math.ceil((b.expiresAt - now) / 1000));
}
