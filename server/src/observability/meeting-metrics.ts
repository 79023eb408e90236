import { Counter, Gauge, type Registry } from 'prom-client';

/** Structural views of what the meeting metrics read; no import of the meetings module. */
export interface ObservableMeetings {
  readonly meetingCount: number;
  liveMeetings(): { participants: Map<string, { role: string; mode: string; state: string }> }[];
  observer: {
    on(event: 'joinRefused', fn: (reason: string) => void): unknown;
    on(event: 'bandwidthCapped', fn: (kind: string, cappedBy: string) => void): unknown;
    on(event: 'participantLeft', fn: (role: string, mode: string, reason: string) => void): unknown;
  };
}

export interface ObservableSignaling {
  readonly connections: number;
}

export interface ObservableMedia {
  stats(): Promise<{
    producers: { audio: number; video: number };
    consumers: { audio: number; video: number };
    byWorker: { workerIndex: number; bitrateInBps: number; bitrateOutBps: number }[];
  }>;
}

export interface SignalingMetrics {
  requests: Counter<'method' | 'outcome'>;
  protocolErrors: Counter<'type'>;
  connectionsRefused: Counter<'reason'>;
}

export function registerMeetingMetrics(
  registry: Registry,
  meetings: ObservableMeetings,
  media: ObservableMedia,
  signaling: () => ObservableSignaling | undefined,
): SignalingMetrics {
  new Gauge({
    name: 'convene_meetings',
    help: 'Meetings running on this node',
    registers: [registry],
    collect() {
      this.set(meetings.meetingCount);
    },
  });
  new Gauge({
    name: 'convene_participants',
    help: 'Participants on this node by role, join mode and state (lobby/joined)',
    labelNames: ['role', 'mode', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of meetings.liveMeetings()) {
        for (const p of m.participants.values()) this.inc({ role: p.role, mode: p.mode, state: p.state });
      }
    },
  });
  new Gauge({
    name: 'convene_signaling_connections',
    help: 'Open signalling WebSockets',
    registers: [registry],
    collect() {
      this.set(signaling()?.connections ?? 0);
    },
  });
  const refusals = new Counter({ name: 'convene_join_refusals_total', help: 'Refused joins by reason', labelNames: ['reason'], registers: [registry] });
  meetings.observer.on('joinRefused', (reason) => refusals.inc({ reason }));
  const capped = new Counter({
    name: 'convene_join_bandwidth_capped_total',
    help: 'Joins given less call bandwidth than asked for, by participant kind and the limit that applied (company_policy, endpoint_tier, sdp, service_max)',
    labelNames: ['kind', 'capped_by'],
    registers: [registry],
  });
  meetings.observer.on('bandwidthCapped', (kind, cappedBy) => capped.inc({ kind, capped_by: cappedBy }));
  const left = new Counter({
    name: 'convene_participants_left_total',
    help: 'Participants that left, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  meetings.observer.on('participantLeft', (_role, _mode, reason) => left.inc({ reason }));

  // One media stats query per scrape feeds the media gauges (prom-client collects concurrently).
  let inflight: ReturnType<ObservableMedia['stats']> | undefined;
  const stats = () => (inflight ??= media.stats().finally(() => (inflight = undefined)));
  const fromStats = (name: string, help: string, labelNames: string[], fill: (g: Gauge, s: Awaited<ReturnType<ObservableMedia['stats']>>) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        try {
          fill(this, await stats());
        } catch {
          // Media stats unavailable during a worker restart: absent for this scrape.
        }
      },
    });
  fromStats('convene_producers', 'Media producers by kind', ['kind'], (g, s) => {
    g.set({ kind: 'audio' }, s.producers.audio);
    g.set({ kind: 'video' }, s.producers.video);
  });
  fromStats('convene_consumers', 'Media consumers by kind', ['kind'], (g, s) => {
    g.set({ kind: 'audio' }, s.consumers.audio);
    g.set({ kind: 'video' }, s.consumers.video);
  });
  fromStats('convene_media_bitrate_bps', 'Media bitrate per worker and direction (in: from participants, out: to them)', ['worker', 'direction'], (g, s) => {
    for (const w of s.byWorker) {
      g.set({ worker: String(w.workerIndex), direction: 'in' }, w.bitrateInBps);
      g.set({ worker: String(w.workerIndex), direction: 'out' }, w.bitrateOutBps);
    }
  });

  return {
    requests: new Counter({
      name: 'convene_signaling_requests_total',
      help: 'Signalling requests by method and outcome (ok or the error code)',
      labelNames: ['method', 'outcome'],
      registers: [registry],
    }),
    protocolErrors: new Counter({
      name: 'convene_signaling_protocol_errors_total',
      help: 'Messages refused before reaching a handler, by type',
      labelNames: ['type'],
      registers: [registry],
    }),
    connectionsRefused: new Counter({
      name: 'convene_signaling_connections_refused_total',
      help: 'WebSocket upgrades refused, by reason (origin_not_allowed, too_many_connections)',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
