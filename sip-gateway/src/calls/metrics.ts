import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DtmfMethod } from '../media/dtmf/index.js';
import type { CallVideoStats } from '../media/engine/types.js';

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

type KeyframeMethod = 'pli' | 'fir' | 'info';
type KeyframeCounts = { toCaller: Record<KeyframeMethod, number>; fromCaller: Record<KeyframeMethod, number> };

/** What the video metrics read of a live call's video (engine stats of its main m-line). */
export interface LiveVideoStats {
  callId: string;
  stats: CallVideoStats;
}

/**
 * The call layer's video metrics (issue #10): video legs by role, switches and switch-to-keyframe
 * time, keyframe requests by direction and method, and forwarded bitrate against the calls' caps.
 * RTCP keyframe counts come from the engine's per-call stats (read at scrape time and at call end,
 * counted by difference); SIP INFO ones are counted here as they happen.
 */
export class VideoMetrics {
  private readonly legs: Gauge<'role'>;
  private readonly selects: Counter;
  private readonly switches: Counter;
  private readonly switchSeconds: Histogram;
  private readonly keyframes: Counter<'direction' | 'method'>;
  private readonly tapLosses: Counter<'outcome'>;
  private readonly seen = new Map<string, KeyframeCounts>();

  tapLost(outcome: 'reopened' | 'ended'): void {
    this.tapLosses.inc({ outcome });
  }

  constructor(registry: Registry, live: () => Promise<LiveVideoStats[]>) {
    const registers = [registry];
    const metrics = this;
    this.legs = new Gauge({ name: 'gateway_call_video_lines', help: 'Negotiated video m-lines of live calls, by role (main, slides); the engine counts its open ones as gateway_video_legs', labelNames: ['role'], registers });
    this.selects = new Counter({ name: 'gateway_video_selects_total', help: 'Changes of what a call’s video shows (speaker switch, presentation, source gone)', registers });
    this.switches = new Counter({ name: 'gateway_video_switches_total', help: 'Completed switches of a call’s video to a new stream (its keyframe went out)', registers });
    this.switchSeconds = new Histogram({
      name: 'gateway_video_switch_to_keyframe_seconds',
      help: 'From a switch being asked to the new stream’s keyframe reaching the caller',
      buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5],
      registers,
    });
    this.tapLosses = new Counter({ name: 'gateway_video_tap_lost_total', help: 'A meeting’s video tap closed under its calls, by outcome (reopened, or ended: the calls see no video)', labelNames: ['outcome'], registers });
    this.keyframes = new Counter({ name: 'gateway_video_keyframe_requests_total', help: 'Keyframe requests to and from callers, by method (pli, fir, info = SIP INFO picture_fast_update)', labelNames: ['direction', 'method'], registers });
    new Gauge({
      name: 'gateway_video_forwarded_bps',
      help: 'RTP bits per second the gateway forwards to callers (last second), and their calls’ caps (kind=cap), summed over live video calls',
      labelNames: ['kind'],
      registers,
      async collect() {
        let forwarded = 0;
        let cap = 0;
        let over = 0;
        for (const { callId, stats } of await live().catch(() => [])) {
          forwarded += stats.forwardedBps;
          cap += stats.capBps;
          if (stats.overCap) over++;
          metrics.observe(callId, stats);
        }
        this.set({ kind: 'forwarded' }, forwarded);
        this.set({ kind: 'cap' }, cap);
        this.set({ kind: 'calls_over_cap' }, over);
      },
    });
  }

  legOpened(role: string): void {
    this.legs.inc({ role });
  }

  legClosed(role: string): void {
    this.legs.dec({ role });
  }

  switchRequested(): void {
    this.selects.inc();
  }

  switched(seconds: number): void {
    this.switches.inc();
    this.switchSeconds.observe(seconds);
  }

  /** A keyframe request from the caller by SIP INFO. */
  keyframeRequest(method: KeyframeMethod): void {
    this.keyframes.inc({ direction: 'from_caller', method });
  }

  /** A keyframe request to the caller by SIP INFO. */
  keyframeRequestSent(method: KeyframeMethod): void {
    this.keyframes.inc({ direction: 'to_caller', method });
  }

  /** The engine's RTCP keyframe counts of one call, counted by difference. */
  observe(callId: string, stats: CallVideoStats): void {
    const prev = this.seen.get(callId) ?? { toCaller: { pli: 0, fir: 0, info: 0 }, fromCaller: { pli: 0, fir: 0, info: 0 } };
    const next: KeyframeCounts = {
      toCaller: { pli: stats.keyframeRequestsToCaller.pli, fir: stats.keyframeRequestsToCaller.fir, info: 0 },
      fromCaller: { pli: stats.keyframeRequestsFromCaller.pli, fir: stats.keyframeRequestsFromCaller.fir, info: 0 },
    };
    for (const m of ['pli', 'fir'] as const) {
      const to = next.toCaller[m] - prev.toCaller[m];
      const from = next.fromCaller[m] - prev.fromCaller[m];
      if (to > 0) this.keyframes.inc({ direction: 'to_caller', method: m }, to);
      if (from > 0) this.keyframes.inc({ direction: 'from_caller', method: m }, from);
    }
    this.seen.set(callId, next);
  }

  callEnded(callId: string, stats: CallVideoStats | null): void {
    if (stats) this.observe(callId, stats);
    this.seen.delete(callId);
  }
}
