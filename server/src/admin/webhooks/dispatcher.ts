import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock, TimerHandle } from '../../../../common/src/index.js';
import type { AdminConfig } from '../config.js';
import type { DeliveryOutcome, WebhookEndpointRecord, WebhookEvent } from './model.js';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from './signature.js';
import type { WebhookStore } from './store.js';
import { refuseTarget } from './target.js';

type Config = AdminConfig['webhooks'];

interface QueueState {
  running: boolean;
  timer: TimerHandle | undefined;
  /** Attempts at the current head (this node's count; the give-up bound is the event's age). */
  attempts: number;
  headId: string | null;
  /** Work arrived while running: look at the queue once more before stopping. */
  again: boolean;
}

/**
 * Delivers webhook events. `publish()` only chains work and returns: a join never waits on a
 * receiver. Each (endpoint, meeting) pair is a FIFO list in Redis; its head is retried with
 * exponential backoff until delivered or older than `retryForMs`, and nothing behind it is sent
 * meanwhile, so a receiver sees one meeting's events in order. Queues survive a restart: start()
 * picks up every queue left in Redis.
 */
export class WebhookDispatcher {
  private readonly queues = new Map<string, QueueState>();
  /** Per meeting: publishes are enqueued one after another, in the order they happened. */
  private readonly publishing = new Map<string, Promise<void>>();
  private inFlight = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly owner = randomUUID();
  private closed = false;
  private readonly metrics: { deliveries: Counter<'outcome'>; dropped: Counter<'reason'> };

  constructor(
    private readonly deps: {
      store: WebhookStore;
      /** The company's endpoints plus the global ones. */
      endpointsFor(companyId: string): Promise<WebhookEndpointRecord[]>;
      clock: Clock;
      logger: Logger;
      registry: Registry;
      config: Config;
    },
  ) {
    const registers = [deps.registry];
    this.metrics = {
      deliveries: new Counter({ name: 'convene_webhook_deliveries_total', help: 'Webhook delivery attempts by outcome: delivered, failed (will retry), gave_up', labelNames: ['outcome'], registers }),
      dropped: new Counter({ name: 'convene_webhook_events_dropped_total', help: 'Webhook events not queued, by reason (backlog_full, store_error)', labelNames: ['reason'], registers }),
    };
    const inFlight = () => this.inFlight;
    new Gauge({ name: 'convene_webhook_deliveries_in_flight', help: 'Webhook POSTs in flight on this node', registers, collect() { this.set(inFlight()); } });
  }

  private get config(): Config {
    return this.deps.config;
  }

  /** Queues `event` for every endpoint that wants it. Never throws, never waits. */
  publish(event: WebhookEvent): void {
    if (this.closed) return;
    const previous = this.publishing.get(event.meetingId) ?? Promise.resolve();
    const next = previous.then(() => this.enqueue(event));
    this.publishing.set(event.meetingId, next);
    void next.finally(() => {
      if (this.publishing.get(event.meetingId) === next) this.publishing.delete(event.meetingId);
    });
  }

  private async enqueue(event: WebhookEvent): Promise<void> {
    try {
      const targets = (await this.deps.endpointsFor(event.companyId)).filter((e) => e.active && (e.events.length === 0 || e.events.includes(event.type)));
      const json = JSON.stringify(event);
      for (const ep of targets) {
        if (!(await this.deps.store.enqueue(ep.id, event.meetingId, json, this.config.maxQueuedPerEndpoint))) {
          this.metrics.dropped.inc({ reason: 'backlog_full' });
          this.deps.logger.warn({ endpoint: ep.id, event: event.id, type: event.type }, 'webhook backlog full: event dropped');
          continue;
        }
        this.pump(ep.id, event.meetingId);
      }
    } catch (err) {
      this.metrics.dropped.inc({ reason: 'store_error' });
      this.deps.logger.error({ err, event: event.id, type: event.type }, 'webhook event could not be queued');
    }
  }

  /** Picks up every queue left in Redis (after a restart, or another node's). */
  async start(): Promise<void> {
    for (const q of await this.deps.store.activeQueues()) this.pump(q.endpointId, q.meetingId);
  }

  /** Resolves when every event published so far is queued in Redis (shutdown). */
  async queued(): Promise<void> {
    while (this.publishing.size > 0) await Promise.all([...this.publishing.values()]);
  }

  /** Resolves when nothing is being published or delivered right now and no retry is due (tests). */
  async settled(): Promise<void> {
    for (;;) {
      await Promise.all([...this.publishing.values()]);
      if (this.publishing.size === 0 && [...this.queues.values()].every((q) => !q.running)) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.closed = true;
    for (const q of this.queues.values()) q.timer?.cancel();
    for (const w of this.slotWaiters.splice(0)) w();
  }

  private pump(endpointId: string, meetingId: string): void {
    const key = `${endpointId}|${meetingId}`;
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = { running: false, timer: undefined, attempts: 0, headId: null, again: false }));
    if (q.running) q.again = true;
    if (q.running || q.timer || this.closed) return;
    q.running = true;
    q.again = false;
    void this.run(endpointId, meetingId, q)
      .catch((err: unknown) => {
        this.deps.logger.warn({ err, endpoint: endpointId, meeting: meetingId }, 'webhook queue stalled; will retry');
        this.retryLater(endpointId, meetingId, q, this.config.initialBackoffMs);
      })
      .finally(() => {
        q.running = false;
        if (q.again && !q.timer) this.pump(endpointId, meetingId);
        else if (!q.timer && q.headId === null) this.queues.delete(key);
      });
  }

  private retryLater(endpointId: string, meetingId: string, q: QueueState, delayMs: number): void {
    if (this.closed) return;
    q.timer = this.deps.clock.setTimeout(() => {
      q.timer = undefined;
      this.pump(endpointId, meetingId);
    }, delayMs);
  }

  private async run(endpointId: string, meetingId: string, q: QueueState): Promise<void> {
    const { store } = this.deps;
    while (!this.closed) {
      const head = await store.head(endpointId, meetingId);
      if (head === null) {
        q.headId = null;
        await store.dequeue(endpointId, meetingId, '');
        return;
      }
      const event = JSON.parse(head) as WebhookEvent;
      if (q.headId !== event.id) {
        q.headId = event.id;
        q.attempts = 0;
      }
      const endpoint = await store.get(endpointId);
      if (!endpoint) {
        // Deleted meanwhile: its queues went with it.
        await store.dequeue(endpointId, meetingId, head);
        continue;
      }
      // Another node holds this queue: look again later.
      if (!(await store.lock(endpointId, meetingId, this.owner, this.config.timeoutMs * 2 + 5_000))) {
        this.retryLater(endpointId, meetingId, q, this.config.initialBackoffMs);
        return;
      }
      let result: { ok: boolean; status: number | null; error: string | null };
      try {
        // Re-read the head under the lock: another node may have delivered it.
        if ((await store.head(endpointId, meetingId)) !== head) continue;
        q.attempts += 1;
        result = await this.withSlot(() => this.attempt(endpoint, head, event));
        const age = this.deps.clock.now() - Date.parse(event.createdAt);
        const outcome: DeliveryOutcome['outcome'] = result.ok ? 'delivered' : age >= this.config.retryForMs ? 'gave_up' : 'failed';
        this.metrics.deliveries.inc({ outcome });
        await store.recordOutcome(
          endpointId,
          { at: new Date(this.deps.clock.now()).toISOString(), eventId: event.id, eventType: event.type, meetingId, attempt: q.attempts, outcome, status: result.status, error: result.error },
          this.config.recentDeliveries,
        );
        if (outcome === 'failed') {
          const delay = Math.min(this.config.maxBackoffMs, this.config.initialBackoffMs * 2 ** Math.min(20, q.attempts - 1));
          this.deps.logger.info({ endpoint: endpointId, event: event.id, attempt: q.attempts, status: result.status, error: result.error, retryInMs: delay }, 'webhook delivery failed; will retry');
          this.retryLater(endpointId, meetingId, q, delay);
          return;
        }
        if (outcome === 'gave_up') this.deps.logger.warn({ endpoint: endpointId, event: event.id, attempts: q.attempts, error: result.error }, 'webhook event given up');
        await store.dequeue(endpointId, meetingId, head);
      } finally {
        await store.unlock(endpointId, meetingId, this.owner);
      }
    }
  }

  private async withSlot<T>(fn: () => Promise<T>): Promise<T> {
    while (this.inFlight >= this.config.maxConcurrentDeliveries && !this.closed) await new Promise<void>((r) => this.slotWaiters.push(r));
    this.inFlight += 1;
    try {
      return await fn();
    } finally {
      this.inFlight -= 1;
      this.slotWaiters.shift()?.();
    }
  }

  /** One signed POST. 2xx is delivered; anything else (or no answer in time) is a failure. */
  private async attempt(ep: WebhookEndpointRecord, body: string, event: WebhookEvent): Promise<{ ok: boolean; status: number | null; error: string | null }> {
    const refused = await refuseTarget(ep.url, this.config.allowPrivateTargets);
    if (refused) return { ok: false, status: null, error: `target refused: ${refused}` };
    const timestamp = Math.floor(this.deps.clock.now() / 1000);
    try {
      const res = await fetch(ep.url, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Convene-Webhooks/1',
          [SIGNATURE_HEADER]: signWebhook(ep.secret, timestamp, body),
          [TIMESTAMP_HEADER]: String(timestamp),
          [EVENT_ID_HEADER]: event.id,
          [EVENT_TYPE_HEADER]: event.type,
        },
      });
      // The receiver's answer is not needed; reading it frees the connection.
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? { ok: true, status: res.status, error: null } : { ok: false, status: res.status, error: `HTTP ${res.status}` };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      return { ok: false, status: null, error: (e.name === 'TimeoutError' ? 'timed out' : (e.cause?.code ?? e.cause?.message ?? e.message)).slice(0, 200) };
    }
  }
}
