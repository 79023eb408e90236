import os from 'node:os';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { Emitter, type Clock, type TimerHandle } from '../../../../common/src/index.js';
import type { LeaveReason } from '../../protocol/index.js';
import type { ParticipantSummary, RefusedCallSummary } from '../../meetings/events.js';
import type { CallDetailRecord } from '../model.js';
import { cdrFromRefusedCall, cdrFromSession } from './record.js';

export interface CallRecorderDeps {
  /** Stores one record (validated); throws when the store is unreachable. */
  write(cdr: CallDetailRecord): Promise<void>;
  /** The member owning the VMR (its own meeting room), or null (team VMR, unknown). */
  vmrOwner(companyId: string, vmrId: string): Promise<string | null>;
  /** The company's endpoint at a caller address (usage-model retention), or null. */
  endpointAt(companyId: string, address: string): Promise<string | null>;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  config: { nodeName: string | null; retryForMs: number; maxQueued: number };
}

type Pending = (
  | { what: 'session'; participant: ParticipantSummary; reason: LeaveReason; leftAt: number }
  | { what: 'refused'; call: RefusedCallSummary & { room: NonNullable<RefusedCallSummary['room']> } }
) & { firstTriedAt: number; attempts: number };

const INITIAL_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 60_000;

/**
 * Writes one call record per participant session when it ends. `record()` only queues, so a
 * join or leave never waits on (or fails because of) the store; a write that fails is retried
 * with backoff for `retryForMs`, then logged in full and dropped. Written one at a time, in order.
 */
export class CallRecorder {
  readonly events = new Emitter<{ written: [cdr: CallDetailRecord] }>((event, err) => this.deps.logger.error({ err, event }, 'call record listener failed'));
  readonly nodeId: string;
  private readonly queue: Pending[] = [];
  private running = false;
  private retryTimer: TimerHandle | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly outcomes: Counter<'outcome'>;

  constructor(private readonly deps: CallRecorderDeps) {
    this.nodeId = deps.config.nodeName ?? os.hostname();
    const registers = [deps.registry];
    this.outcomes = new Counter({ name: 'convene_call_records_total', help: 'Call records by outcome: written, retried (a failed attempt), dropped, no_company (a refused call for no known room)', labelNames: ['outcome'], registers });
    const queue = this.queue;
    new Gauge({ name: 'convene_call_records_queued', help: 'Call records waiting to be stored', registers, collect() { this.set(queue.length); } });
  }

  /** Queues the record of a session that ended; never throws, never waits. */
  record(participant: ParticipantSummary, reason: LeaveReason, leftAt: number): void {
    this.enqueue({ what: 'session', participant, reason, leftAt, firstTriedAt: this.deps.clock.now(), attempts: 0 });
  }

  /**
   * Queues the record of a SIP call that never joined (refused, cancelled, or ended in the IVR).
   * A call for no known room belongs to no company: it is logged and counted, not stored.
   */
  recordRefusedCall(call: RefusedCallSummary): void {
    const { room } = call;
    if (!room) {
      this.outcomes.inc({ outcome: 'no_company' });
      this.deps.logger.info({ call }, 'call for no known room: not stored as a call record');
      return;
    }
    this.enqueue({ what: 'refused', call: { ...call, room }, firstTriedAt: this.deps.clock.now(), attempts: 0 });
  }

  private enqueue(p: Pending): void {
    if (this.closed) {
      this.deps.logger.error({ record: p }, 'call recorder closed: call record not stored');
      return;
    }
    if (this.queue.length >= this.deps.config.maxQueued) {
      const dropped = this.queue.shift();
      this.outcomes.inc({ outcome: 'dropped' });
      this.deps.logger.error({ record: dropped }, 'call record queue full: oldest record dropped');
    }
    this.queue.push(p);
    void this.drain();
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Resolves once every queued record is stored or given up (tests, shutdown). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && !this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.retryTimer?.cancel();
    if (this.queue.length > 0) this.deps.logger.error({ records: this.queue }, 'stopping with call records not stored');
    this.queue.length = 0;
    this.settle();
  }

  private settle(): void {
    if (this.queue.length > 0 || this.running) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async drain(): Promise<void> {
    if (this.running || this.retryTimer) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const next = this.queue[0]!;
        try {
          const cdr = await this.build(next);
          await this.deps.write(cdr);
          this.queue.shift();
          this.outcomes.inc({ outcome: 'written' });
          this.events.emit('written', cdr);
        } catch (err) {
          next.attempts += 1;
          if (this.deps.clock.now() - next.firstTriedAt >= this.deps.config.retryForMs) {
            this.queue.shift();
            this.outcomes.inc({ outcome: 'dropped' });
            this.deps.logger.error({ err, record: next }, 'call record could not be stored within the retry time: dropped');
            continue;
          }
          this.outcomes.inc({ outcome: 'retried' });
          const delay = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** Math.min(16, next.attempts - 1));
          this.deps.logger.warn({ err, record: next.what === 'session' ? next.participant.participantId : next.call.callId, attempts: next.attempts, retryInMs: delay }, 'call record not stored; will retry');
          this.retryTimer = this.deps.clock.setTimeout(() => {
            this.retryTimer = undefined;
            void this.drain();
          }, delay);
          return;
        }
      }
    } finally {
      this.running = false;
      if (!this.retryTimer) this.settle();
    }
  }

  private async build(p: Pending): Promise<CallDetailRecord> {
    if (p.what === 'refused') {
      const { call } = p;
      const [owner, endpointId] = await Promise.all([
        this.deps.vmrOwner(call.room.companyId, call.room.meetingId),
        call.callerAddress ? this.deps.endpointAt(call.room.companyId, call.callerAddress) : Promise.resolve(null),
      ]);
      return cdrFromRefusedCall(call, { vmrOwnerMemberId: owner, endpointId, nodeId: this.nodeId });
    }
    const { participant } = p;
    const [owner, endpointId] = await Promise.all([
      this.deps.vmrOwner(participant.companyId, participant.meetingId),
      participant.callerAddress && participant.tier !== null ? this.deps.endpointAt(participant.companyId, participant.callerAddress) : Promise.resolve(null),
    ]);
    return cdrFromSession(participant, { reason: p.reason, leftAt: p.leftAt }, { vmrOwnerMemberId: owner, endpointId, nodeId: this.nodeId });
  }
}
