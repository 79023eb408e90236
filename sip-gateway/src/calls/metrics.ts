import { Counter, Gauge, type Registry } from 'prom-client';
import type { DtmfMethod } from '../media/dtmf/index.js';

/** The call layer's metrics: calls by state and outcome, PIN entry, DTMF digits by method. */
export class CallMetrics {
  private readonly outcomes: Counter<'outcome'>;
  private readonly refusals: Counter<'code'>;
  private readonly answers: Counter;
  private readonly wrongPins: Counter;
  private readonly digits: Counter<'method'>;

  constructor(registry: Registry, callsByState: () => Record<string, number>) {
    const registers = [registry];
    this.outcomes = new Counter({ name: 'gateway_calls_ended_total', help: 'Inbound calls that ended, by end reason', labelNames: ['outcome'], registers });
    this.refusals = new Counter({ name: 'gateway_calls_refused_total', help: 'Inbound calls refused, by refusal code (shared refusal table, routing or SDP)', labelNames: ['code'], registers });
    this.answers = new Counter({ name: 'gateway_calls_answered_total', help: 'Inbound calls answered (200 OK)', registers });
    this.wrongPins = new Counter({ name: 'gateway_ivr_wrong_pins_total', help: 'Wrong PINs entered by callers', registers });
    this.digits = new Counter({ name: 'gateway_dtmf_keys_total', help: 'DTMF keys received from callers, by method (rfc4733, sip_info, inband)', labelNames: ['method'], registers });
    new Gauge({
      name: 'gateway_calls',
      help: 'Inbound calls now, by state (routing, answering, ivr, lobby, in_meeting, ending)',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        for (const [state, n] of Object.entries(callsByState())) this.set({ state }, n);
      },
    });
  }

  answered(): void {
    this.answers.inc();
  }

  refused(code: string): void {
    this.refusals.inc({ code });
  }

  wrongPin(): void {
    this.wrongPins.inc();
  }

  dtmf(method: DtmfMethod): void {
    this.digits.inc({ method });
  }

  ended(outcome: string): void {
    this.outcomes.inc({ outcome });
  }
}
