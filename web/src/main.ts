import type { MeetingSnapshot } from './meeting/index.js';
import type { RemoteStats, SendStats } from './media/index.js';
import { App } from './ui/app.js';
import type { JoinFormValues } from './ui/validation.js';

/** Test hook for the Playwright suite: read-only state and per-participant receive stats. */
export interface ConveneHook {
  readonly state: MeetingSnapshot;
  stats(): Promise<Record<string, RemoteStats>>;
  /** Bytes this participant has sent, by kind (to measure its outgoing bitrate). */
  sendStats(): Promise<SendStats>;
  /** Closes the signalling socket as a network failure would; the app then resumes its session. */
  dropConnection(): void;
  /** The phases this page went through, oldest first (at most 200). */
  phases(): string[];
  /** The local candidate type of each transport's selected ICE pair ('relay' = through TURN). */
  iceCandidateTypes(): Promise<{ send: string | null; recv: string | null }>;
  /** What this participant receives: one entry per consumer. */
  consumers(): Array<{ consumerId: string; participantId: string; kind: 'audio' | 'video'; source: string; paused: boolean }>;
}

declare global {
  interface Window {
    convene: ConveneHook;
  }
}

function signalingUrl(params: URLSearchParams): string {
  // ?ws= lets a test or a developer point the page at another signalling server.
  const override = params.get('ws');
  if (override && /^wss?:\/\//.test(override)) return override;
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

/** Join form values from the URL (?address=…&name=…&mode=…&bandwidth=…), e.g. from an invitation link. */
function initialValues(params: URLSearchParams): Partial<JoinFormValues> {
  const out: Partial<JoinFormValues> = {};
  const address = params.get('address');
  const name = params.get('name');
  const mode = params.get('mode');
  const bandwidth = params.get('bandwidth');
  if (address) out.address = address;
  if (name) out.displayName = name;
  if (mode) out.mode = mode;
  if (bandwidth) out.bandwidthKbps = bandwidth;
  return out;
}

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app element');
const params = new URLSearchParams(location.search);
// ?hostToken= comes with a "start my meeting" link from the member portal: it joins the owner as host, no PIN.
const hostToken = params.get('hostToken');
// ?relay=1 makes the browser use TURN-relayed candidates only (to test the TURN path).
const validHostToken = hostToken && /^[A-Za-z0-9_.-]{20,1024}$/.test(hostToken) ? hostToken : null;
const app = new App(root, signalingUrl(params), initialValues(params), { forceRelay: params.get('relay') === '1' }, validHostToken);
window.convene = {
  get state() {
    return app.snapshot;
  },
  stats: () => app.stats(),
  sendStats: () => app.sendStats(),
  dropConnection: () => app.ctl.signaling.dropForTest(),
  phases: () => [...app.phaseLog],
  iceCandidateTypes: async () => (app.ctl.media ? app.ctl.media.selectedCandidateTypes() : { send: null, recv: null }),
  consumers: () =>
    (app.ctl.media?.remoteTracks() ?? []).map(({ consumerId, participantId, kind, source, paused }) => ({ consumerId, participantId, kind, source, paused })),
};
