// Janus AudioBridge, the gateway bench's side-by-side anchor: Debian's `janus` (1.1.2) run by
// bench/media/janus-process.mjs with only the AudioBridge plugin, the plain-HTTP transport (the
// bench's own requests and the `info` probe) and the WebSocket transport (the WebRTC "browser",
// bench/media's Go client, which speaks Janus over WebSocket).
// Plus the small slice of the Janus HTTP API the bench needs: sessions, handles, an AudioBridge
// room allowing plain-RTP participants, `join` with an `rtp` object (Janus answers with where it
// expects the participant's RTP; it sends the participant's mix to the address given in the join,
// once it has received RTP from it), and `listparticipants` (to wait for the browser's WebRTC).
import { janusInstalled, startJanusWith } from '../media/janus-process.mjs';

const NEEDS = { plugins: ['audiobridge'], transports: ['http', 'websockets'] };

/** true, or why Janus AudioBridge cannot run here. */
export function janusAudioBridgeAvailable() {
  return janusInstalled(NEEDS);
}

/**
 * Starts Janus; `track(proc)` registers the child so the caller can kill it on exit.
 * `rtpPortRange` is where AudioBridge binds its plain-RTP participants' sockets.
 */
export async function startJanusAudioBridge(workDir, track, { rtpPortRange = '56000-57999' } = {}) {
  return startJanusWith(workDir, track, {
    serverName: 'convene-gateway-bench',
    plugins: {
      audiobridge: `general: {
  rtp_port_range = "${rtpPortRange}"
  local_ip = "127.0.0.1"
  events = false
}
`,
    },
    transports: NEEDS.transports,
    rtpPortRange: '58000-59999',
  });
}

let txn = 0;
async function janusPost(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, transaction: `t${++txn}` }), signal: AbortSignal.timeout(15_000) });
  const json = await res.json();
  if (json.janus === 'error') throw new Error(`janus ${body.janus}: ${json.error?.code} ${json.error?.reason}`);
  return json;
}

/**
 * One Janus session with an AudioBridge room and plain-RTP participants. Events (join answers,
 * and the N² "joined" notifications Janus sends everyone) are drained by a long poll.
 */
export class AudioBridgeSession {
  #baseUrl;
  #sessionUrl;
  #waiters = new Map();
  #polling = false;
  #pollDone = null;
  #admin = null;
  room = null;

  constructor(baseUrl) {
    this.#baseUrl = baseUrl;
  }

  async open() {
    const created = await janusPost(this.#baseUrl, { janus: 'create' });
    this.#sessionUrl = `${this.#baseUrl}/${created.data.id}`;
    this.#polling = true;
    this.#pollDone = this.#poll();
    this.#admin = await this.#attach();
  }

  async #attach() {
    const r = await janusPost(this.#sessionUrl, { janus: 'attach', plugin: 'janus.plugin.audiobridge' });
    return r.data.id;
  }

  async #poll() {
    while (this.#polling) {
      let events;
      try {
        const res = await fetch(`${this.#sessionUrl}?maxev=100&rid=${Date.now()}`, { signal: AbortSignal.timeout(40_000) });
        events = await res.json();
      } catch {
        if (!this.#polling) return;
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      for (const ev of Array.isArray(events) ? events : [events]) {
        const waiter = ev?.transaction && this.#waiters.get(ev.transaction);
        if (waiter && ev.janus === 'event') {
          this.#waiters.delete(ev.transaction);
          waiter(ev);
        }
      }
    }
  }

  /** Creates the room: `samplingRate` is the mixing rate (16000: wideband, like our mixer). */
  async createRoom({ room, samplingRate }) {
    const r = await janusPost(`${this.#sessionUrl}/${this.#admin}`, {
      janus: 'message',
      body: { request: 'create', room, sampling_rate: samplingRate, allow_rtp_participants: true, audiolevel_ext: false, record: false, is_private: true },
    });
    const data = r.plugindata?.data;
    if (data?.audiobridge !== 'created') throw new Error(`audiobridge create: ${JSON.stringify(data)}`);
    this.room = room;
  }

  /**
   * Joins one plain-RTP participant whose socket is 127.0.0.1:`port` (where Janus sends its mix);
   * resolves to where Janus expects its RTP.
   */
  async joinRtp({ display, port, codec = 'pcma' }) {
    const handle = await this.#attach();
    const transaction = `t${++txn}`;
    const answered = new Promise((resolve, reject) => {
      const timer = setTimeout(() => (this.#waiters.delete(transaction), reject(new Error(`join ${display}: no answer in 15 s`))), 15_000);
      this.#waiters.set(transaction, (ev) => (clearTimeout(timer), resolve(ev)));
    });
    const res = await fetch(`${this.#sessionUrl}/${handle}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ janus: 'message', transaction, body: { request: 'join', room: this.room, display, codec, rtp: { ip: '127.0.0.1', port } } }),
      signal: AbortSignal.timeout(15_000),
    });
    const ack = await res.json();
    if (ack.janus === 'error') throw new Error(`join ${display}: ${ack.error?.reason}`);
    const ev = await answered;
    const data = ev.plugindata?.data;
    if (data?.audiobridge !== 'joined' || !data.rtp) throw new Error(`join ${display}: ${JSON.stringify(data)}`);
    return { ip: data.rtp.ip, port: data.rtp.port, payloadType: data.rtp.payload_type };
  }

  /** The room's participants as Janus lists them: `{ id, display, setup, muted }` each. */
  async listParticipants() {
    const r = await janusPost(`${this.#sessionUrl}/${this.#admin}`, { janus: 'message', body: { request: 'listparticipants', room: this.room } });
    const data = r.plugindata?.data;
    if (data?.audiobridge !== 'participants') throw new Error(`listparticipants: ${JSON.stringify(data)}`);
    return data.participants ?? [];
  }

  /** Destroys the session (and with it every handle, so the participants leave). */
  async close() {
    this.#polling = false;
    try {
      if (this.room !== null) await janusPost(`${this.#sessionUrl}/${this.#admin}`, { janus: 'message', body: { request: 'destroy', room: this.room } });
      await janusPost(this.#sessionUrl, { janus: 'destroy' });
    } catch {
      // janus gone or session already timed out: nothing left to free
    }
    await Promise.race([this.#pollDone, new Promise((r) => setTimeout(r, 2000))]);
  }
}

/** The signalling probe for Janus: round-trip time of an HTTP `info` request, ms. */
export async function janusInfoRtt(baseUrl) {
  const t0 = performance.now();
  const res = await fetch(`${baseUrl}/info`, { signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`info → ${res.status}`);
  return performance.now() - t0;
}
