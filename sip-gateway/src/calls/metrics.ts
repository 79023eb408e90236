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
    // The media engine counts the digits it detects (rfc4733, inband) on this same counter; SIP INFO digits are counted here.
    this.digits =
      (registry.getSingleMetric('gateway_dtmf_digits_total') as Counter<'method'> | undefined) ??
      new Counter({ name: 'gateway_dtmf_digits_total', help: 'DTMF key presses received', labelNames: ['method'], registers });
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

  /** A SIP INFO digit (the engine counts the RTP and in-band ones). */
  sipInfoDigit(): void {
    this.digits.inc({ method: 'sip_info' satisfies DtmfMethod });
  }

  ended(outcome: string): void {
    this.outcomes.inc({ outcome });
  }
}
