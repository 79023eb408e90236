/**
 * The engine's Prometheus metrics, fed from the counters each worker pushes (cumulative per worker
 * lifetime; the proxy adds the deltas, so a restarted worker starts again from zero cleanly).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { WorkerCounters } from './protocol.js';

function getOrCreate<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export class EngineMetrics {
  private readonly latest = new Map<object, WorkerCounters>();
  private readonly deadlineMisses: Counter<string>;
  private readonly busyDeadlineMisses: Counter<string>;
  private readonly tickOverruns: Counter<string>;
  private readonly ticks: Counter<string>;
  private readonly tickWork: Counter<string>;
  private readonly jitterLate: Counter<string>;
  private readonly jitterLost: Counter<string>;
  private readonly dtmf: Counter<string>;
  private readonly srtpFailures: Counter<string>;
  private readonly videoPackets: Counter<string>;
  private readonly keyframeRequests: Counter<string>;
  private readonly udpSendErrors: Counter<string>;

  constructor(registry: Registry | undefined) {
    const registers = registry ? [registry] : [];
    const r = registry;
    const gauge = (name: string, help: string, pick: (c: WorkerCounters) => number): void => {
      const make = (): Gauge => new Gauge({ name, help, registers, collect: () => undefined });
      const g = r ? getOrCreate(r, name, make) : make();
      // Read at scrape time from the last counters of every live worker.
      (g as unknown as { collect: () => void }).collect = () => g.set(this.sum(pick));
    };
    gauge('gateway_media_calls', 'SIP calls with media in the engine', (c) => c.calls);
    gauge('gateway_mixer_rooms', 'Room mixers running', (c) => c.rooms);
    gauge('gateway_mixer_legs', 'SIP legs joined to room mixers', (c) => c.legs);
    gauge('gateway_video_legs', 'Open SIP video m-lines in the engine', (c) => c.videoLegs);
    gauge('gateway_video_rooms', 'Meetings with a video fan-out in the engine', (c) => c.videoRooms);
    const counter = (name: string, help: string, labelNames: string[] = []): Counter<string> => {
      const make = (): Counter<string> => new Counter({ name, help, labelNames, registers });
      return r ? getOrCreate(r, name, make) : make();
    };
    this.deadlineMisses = counter('gateway_mixer_deadline_misses_total', 'Mixer ticks that started more than one frame late');
    this.busyDeadlineMisses = counter(
      'gateway_mixer_busy_deadline_misses_total',
      "Of the deadline misses, those after at least a frame of the media worker's own work (ticks, packets, GC); the rest had time to spare and were woken late by the OS",
    );
    this.tickOverruns = counter('gateway_mixer_tick_overruns_total', 'Mixer ticks whose own work took longer than a frame');
    this.ticks = counter('gateway_mixer_ticks_total', 'Mixer ticks run (every media worker, every 20 ms)');
    this.tickWork = counter('gateway_mixer_tick_work_seconds_total', 'Time spent inside mixer ticks (wall)');
    this.jitterLate = counter('gateway_jitter_late_packets_total', 'RTP packets that arrived after their play-out time');
    this.jitterLost = counter('gateway_jitter_lost_packets_total', 'Frames concealed because their packet never arrived');
    this.dtmf = counter('gateway_dtmf_digits_total', 'DTMF key presses received', ['method']);
    this.srtpFailures = counter('gateway_srtp_failures_total', 'Incoming SRTP/SRTCP packets refused', ['kind']);
    this.videoPackets = counter('gateway_video_packets_total', 'Video RTP packets: caller → SFU (ingress), room → caller (egress)', ['direction']);
    this.udpSendErrors = counter('gateway_udp_send_errors_total', "Datagrams to callers or the SFU the kernel refused to send on the native sockets (full buffer, ICMP-refused peer)");
    this.keyframeRequests = counter('gateway_video_room_keyframe_requests_total', 'RTCP PLIs sent to the SFU video tap: a switch asking the new source for a keyframe, or a caller’s request passed on');
  }

  /** A worker's latest cumulative counters (`worker` identifies its lifetime). */
  update(worker: object, next: WorkerCounters): void {
    const prev = this.latest.get(worker);
    this.latest.set(worker, next);
    const d = (a: number, b: number | undefined): number => Math.max(0, a - (b ?? 0));
    this.deadlineMisses.inc(d(next.deadlineMissesTotal, prev?.deadlineMissesTotal));
    this.busyDeadlineMisses.inc(d(next.busyDeadlineMissesTotal, prev?.busyDeadlineMissesTotal));
    this.tickOverruns.inc(d(next.tickOverrunsTotal, prev?.tickOverrunsTotal));
    this.ticks.inc(d(next.ticks, prev?.ticks));
    this.tickWork.inc(d(next.tickWorkMsTotal, prev?.tickWorkMsTotal) / 1000);
    this.jitterLate.inc(d(next.jitterLateTotal, prev?.jitterLateTotal));
    this.jitterLost.inc(d(next.jitterLostTotal, prev?.jitterLostTotal));
    this.dtmf.inc({ method: 'rfc4733' }, d(next.dtmfTotal.rfc4733, prev?.dtmfTotal.rfc4733));
    this.dtmf.inc({ method: 'inband' }, d(next.dtmfTotal.inband, prev?.dtmfTotal.inband));
    this.videoPackets.inc({ direction: 'ingress' }, d(next.videoIngressPacketsTotal, prev?.videoIngressPacketsTotal));
    this.videoPackets.inc({ direction: 'egress' }, d(next.videoEgressPacketsTotal, prev?.videoEgressPacketsTotal));
    this.keyframeRequests.inc(d(next.videoKeyframeRequestsToRoomTotal, prev?.videoKeyframeRequestsToRoomTotal));
    this.udpSendErrors.inc(d(next.udpSendErrorsTotal, prev?.udpSendErrorsTotal));
    for (const [kind, n] of Object.entries(next.srtpFailuresTotal)) {
      const delta = d(n, prev?.srtpFailuresTotal[kind]);
      if (delta > 0) this.srtpFailures.inc({ kind }, delta);
    }
  }

  /** A worker is gone: its gauges stop counting (its counters already did). */
  forget(worker: object): void {
    this.latest.delete(worker);
  }

  sum(pick: (c: WorkerCounters) => number): number {
    let total = 0;
    for (const c of this.latest.values()) total += pick(c);
    return total;
  }
}
