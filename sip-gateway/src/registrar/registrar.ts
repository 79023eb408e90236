import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { type Clock, type TimerHandle, Emitter } from '../../../common/src/index.js';
import type { RedisClient } from '../../../common/src/index.js';
import { bindingKey } from './aor.js';
import { RedisBindingStore, type StoredContact } from './binding-store.js';
import type { Binding, ContactInput, ExpiryPolicy, RegisterInput, RegisterResult } from './types.js';

export type RegistrarEvents = {
  registered: [binding: Binding];
  refreshed: [binding: Binding];
  /** The UA removed it (Expires: 0 or `*`). */
  unregistered: [binding: Binding];
  /** It lapsed without a refresh. */
  expired: [binding: Binding];
};

export interface RegistrarOptions {
  redis: RedisClient;
  policy: ExpiryPolicy;
  clock: Clock;
  logger: Logger;
  metrics: Registry;
  keyPrefix?: string;
}

function metric<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/**
 * The location service (RFC 3261 §10.3) over Redis: bindings are visible to every node and
 * lapse by themselves. Events fire on the node that saw the change (or swept the expiry).
 */
export class Registrar extends Emitter<RegistrarEvents> {
  private readonly store: RedisBindingStore;
  private readonly registrations: Counter<string>;
  private readonly deregistrations: Counter<string>;
  private sweepTimer: TimerHandle | undefined;
  private closed = false;

  constructor(private readonly options: RegistrarOptions) {
    super((event, err) => options.logger.error({ err, event }, 'registrar listener failed'));
    const { policy } = options;
    if (!(policy.minExpires >= 0 && policy.minExpires <= policy.defaultExpires && policy.defaultExpires <= policy.maxExpires)) {
      throw new RangeError('registrar expiry policy must satisfy minExpires <= defaultExpires <= maxExpires');
    }
    this.store = new RedisBindingStore(options.redis, options.keyPrefix);
    const registry = options.metrics;
    this.registrations = metric(
      registry,
      'sip_registrations_total',
      () => new Counter({ name: 'sip_registrations_total', help: 'Bindings created or refreshed', labelNames: ['kind'], registers: [registry] }),
    );
    this.deregistrations = metric(
      registry,
      'sip_deregistrations_total',
      () =>
        new Counter({
          name: 'sip_deregistrations_total',
          help: 'Bindings removed, by the UA (unregistered) or by lapse (expired)',
          labelNames: ['reason'],
          registers: [registry],
        }),
    );
    const store = this.store;
    const clock = options.clock;
    metric(
      registry,
      'sip_registrar_bindings',
      () =>
        new Gauge({
          name: 'sip_registrar_bindings',
          help: 'Live bindings across the cluster',
          registers: [registry],
          async collect() {
            // A scrape while Redis is down must not fail the whole /metrics page: leave the series out.
            this.reset();
            const n = await store.count(clock.now()).catch(() => undefined);
            if (n !== undefined) this.set(n);
          },
        }),
    );
    for (const kind of ['new', 'refresh']) this.registrations.inc({ kind }, 0);
    for (const reason of ['unregistered', 'expired']) this.deregistrations.inc({ reason }, 0);
  }

  /** The expiry, in seconds, a contact gets: its param, else the Expires header, else the default; capped at the max. */
  private expiresFor(contact: ContactInput, header: number | undefined): number {
    const asked = contact.expires ?? header ?? this.options.policy.defaultExpires;
    return Math.min(asked, this.options.policy.maxExpires);
  }

  async register(input: RegisterInput): Promise<RegisterResult> {
    const { policy } = this.options;
    const now = this.options.clock.now();
    const wildcard = input.contacts === '*';
    if (wildcard && input.expiresHeader !== 0) {
      // RFC 3261 §10.3 step 6: "*" only with Expires: 0.
      return { ok: false, refusal: 'invalid_wildcard', detail: 'Contact: * requires Expires: 0' };
    }
    const contacts: StoredContact[] = [];
    if (!wildcard) {
      const byKey = new Map<string, StoredContact>();
      for (const contact of input.contacts as readonly ContactInput[]) {
        if (contact.q !== undefined && !(contact.q >= 0 && contact.q <= 1)) {
          return { ok: false, refusal: 'invalid_contact', detail: 'q must be between 0 and 1' };
        }
        const seconds = this.expiresFor(contact, input.expiresHeader);
        if (!Number.isInteger(seconds) || seconds < 0) {
          return { ok: false, refusal: 'invalid_contact', detail: 'expires must be a non-negative integer' };
        }
        if (seconds > 0 && seconds < policy.minExpires) {
          return { ok: false, refusal: 'interval_too_brief', minExpires: policy.minExpires };
        }
        const key = bindingKey(contact);
        const expiresAt = seconds === 0 ? 0 : now + seconds * 1000;
        const binding: Binding = {
          aor: input.aor,
          key,
          uri: contact.uri,
          path: [...input.path],
          callId: input.callId,
          cseq: input.cseq,
          expiresAt,
          registeredAt: now,
        };
        if (contact.q !== undefined) binding.q = contact.q;
        if (contact.instanceId !== undefined) binding.instanceId = contact.instanceId;
        if (contact.regId !== undefined) binding.regId = contact.regId;
        if (input.source) binding.source = input.source;
        if (input.userAgent !== undefined) binding.userAgent = input.userAgent;
        // The same contact twice in one request: the last one wins.
        byKey.set(key, { key, expiresAt, json: JSON.stringify(binding) });
      }
      contacts.push(...byKey.values());
    }

    const outcome = await this.store.update(now, {
      aor: input.aor,
      callId: input.callId,
      cseq: input.cseq,
      wildcard,
      maxContacts: policy.maxContactsPerAor,
      contacts,
    });
    if (outcome.status === 'out_of_order') {
      return { ok: false, refusal: 'out_of_order', detail: 'CSeq is not higher than the stored one for this Call-ID' };
    }
    if (outcome.status === 'too_many_contacts') {
      return { ok: false, refusal: 'too_many_contacts', detail: `at most ${policy.maxContactsPerAor} contacts per address-of-record` };
    }
    const log = this.options.logger;
    for (const b of outcome.expired) this.announce('expired', b);
    for (const b of outcome.added) {
      this.registrations.inc({ kind: 'new' });
      log.info({ aor: b.aor, contact: b.uri, callId: b.callId, expiresAt: b.expiresAt }, 'binding registered');
      this.emit('registered', b);
    }
    for (const b of outcome.refreshed) {
      this.registrations.inc({ kind: 'refresh' });
      log.debug({ aor: b.aor, contact: b.uri, callId: b.callId }, 'binding refreshed');
      this.emit('refreshed', b);
    }
    for (const b of outcome.removed) this.announce('unregistered', b);
    return {
      ok: true,
      bindings: sortForRinging(outcome.bindings),
      added: outcome.added,
      refreshed: outcome.refreshed,
      removed: outcome.removed,
      expired: outcome.expired,
    };
  }

  /** Live bindings of an AOR, highest q first: what the gateway rings. */
  async contactsFor(aor: string): Promise<Binding[]> {
    return sortForRinging(await this.store.list(aor, this.options.clock.now()));
  }

  /** Removes lapsed bindings now (any node may run this; each lapse is reported once). */
  async sweepExpired(limit = 500): Promise<Binding[]> {
    const lapsed = await this.store.sweep(this.options.clock.now(), limit);
    for (const b of lapsed) this.announce('expired', b);
    return lapsed;
  }

  /** Runs `sweepExpired` every `intervalMs` on the injected clock until `close()`. */
  startSweeper(intervalMs: number): void {
    if (this.sweepTimer || this.closed) return;
    const tick = (): void => {
      this.sweepExpired()
        .catch((err: unknown) => this.options.logger.warn({ err }, 'binding sweep failed'))
        .finally(() => {
          if (!this.closed) this.sweepTimer = this.options.clock.setTimeout(tick, intervalMs);
        });
    };
    this.sweepTimer = this.options.clock.setTimeout(tick, intervalMs);
  }

  /** Stops the sweeper; bindings stay in Redis. Safe to call twice. */
  close(): void {
    this.closed = true;
    this.sweepTimer?.cancel();
    this.sweepTimer = undefined;
  }

  private announce(kind: 'unregistered' | 'expired', b: Binding): void {
    this.deregistrations.inc({ reason: kind });
    this.options.logger.info({ aor: b.aor, contact: b.uri || b.key }, kind === 'expired' ? 'binding expired' : 'binding removed');
    this.emit(kind, b);
  }
}

function sortForRinging(bindings: Binding[]): Binding[] {
  // RFC 3261 §16.6/§8.1.3.4: higher q first; no q counts as 1; ties by most recent registration.
  return [...bindings].sort((a, b) => (b.q ?? 1) - (a.q ?? 1) || b.registeredAt - a.registeredAt);
}
