import { Device } from 'mediasoup-client';
import type { types as ms } from 'mediasoup-client';
import type { ConsumerView, IceServerView, JoinMode, MediaSource as SourceName, TransportInfo } from '../../../server/src/protocol/index.js';
import { Emitter } from '../../../common/src/emitter.js';
import type { SignalingClient } from '../signaling/index.js';
import { SignalingError } from '../signaling/index.js';
import { cameraConstraints, cameraEncodings, chooseVideoCodec, screenMaxBitrate } from './encodings.js';

export interface RemoteTrack {
  consumerId: string;
  participantId: string;
  kind: 'audio' | 'video';
  source: string;
  track: MediaStreamTrack;
  /** Paused by the server or by its producer (e.g. the sender muted). */
  paused: boolean;
}

export type LocalSource = Extract<SourceName, 'mic' | 'camera' | 'screen'>;

/** TURN servers (from hello) and whether to use relayed candidates only. */
export interface IceSettings {
  iceServers: IceServerView[];
  iceTransportPolicy: 'all' | 'relay';
}

export interface RemoteStats {
  audioBytesReceived: number;
  framesDecoded: number;
}

/** What we have sent so far (RTP payload and header bytes, all our producers of each kind). */
export interface SendStats {
  audioBytesSent: number;
  videoBytesSent: number;
}

type MediaEvents = {
  trackAdded: [RemoteTrack];
  trackRemoved: [RemoteTrack];
  trackPaused: [RemoteTrack];
  /** A local source started, stopped, paused or resumed. */
  localChanged: [];
  /** A local screen share ended by itself (browser "Stop sharing" or a new presenter took over). */
  screenEnded: [];
  transportFailed: ['send' | 'recv'];
};

/**
 * This participant's media: the mediasoup-client Device, one send and one recv transport,
 * producers for mic/camera/screen and the consumers the server pushes.
 */
export class MediaSession {
  readonly events = new Emitter<MediaEvents>();
  private device: Device | null = null;
  private sendTransport: ms.Transport | null = null;
  private recvTransport: ms.Transport | null = null;
  private readonly producers = new Map<LocalSource, ms.Producer>();
  private readonly consumers = new Map<string, { consumer: ms.Consumer; remote: RemoteTrack }>();
  /** Consumers announced before the recv transport existed (possible right after admission). */
  private readonly earlyConsumers: ConsumerView[] = [];
  private readonly preferredLayers = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly signaling: SignalingClient,
    private readonly mode: JoinMode,
    private readonly bandwidthKbps: number,
    private readonly ice: IceSettings = { iceServers: [], iceTransportPolicy: 'all' },
    /** Highest video we may send (the join answer's `bandwidth.maxVideoHeight`). */
    private readonly maxVideoHeight = 720,
  ) {}

  /** Loads the device and creates both transports. */
  async start(routerRtpCapabilities: Record<string, unknown>): Promise<void> {
    const device = new Device();
    await device.load({ routerRtpCapabilities: routerRtpCapabilities as ms.RtpCapabilities });
    this.device = device;
    await this.signaling.request('media.setCapabilities', { rtpCapabilities: device.rtpCapabilities as unknown as Record<string, unknown> });
    this.sendTransport = await this.createTransport('send');
    this.recvTransport = await this.createTransport('recv');
    for (const c of this.earlyConsumers.splice(0)) await this.addConsumer(c);
  }

  isActive(source: LocalSource): boolean {
    const p = this.producers.get(source);
    return !!p && !p.closed && !p.paused;
  }

  hasProducer(source: LocalSource): boolean {
    const p = this.producers.get(source);
    return !!p && !p.closed;
  }

  localTrack(source: LocalSource): MediaStreamTrack | null {
    return this.producers.get(source)?.track ?? null;
  }

  /** Starts the microphone. */
  async startMic(): Promise<void> {
    const stream = await getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
    const track = stream.getAudioTracks()[0];
    if (!track) throw new SignalingError('media_unavailable', 'No microphone track.');
    await this.produce('mic', track, { codecOptions: { opusDtx: true, opusFec: true } });
  }

  /**
   * Starts the camera with three simulcast layers sized to the call bandwidth, as H.264 constrained
   * baseline when the router and this browser allow it (room systems need no transcoding), else VP8.
   */
  async startCamera(): Promise<void> {
    if (this.mode !== 'video') return;
    const stream = await getUserMedia({ video: cameraConstraints(this.bandwidthKbps, this.maxVideoHeight) });
    const track = stream.getVideoTracks()[0];
    if (!track) throw new SignalingError('media_unavailable', 'No camera track.');
    const codec = chooseVideoCodec(this.device?.rtpCapabilities.codecs ?? [], senderVideoCodecs());
    await this.produce('camera', track, {
      encodings: cameraEncodings(this.bandwidthKbps),
      codecOptions: { videoGoogleStartBitrate: 300 },
      ...(codec ? { codec } : {}),
    });
  }

  /** Mic/camera mute: pauses the producer locally and on the server (which stops forwarding it). */
  async setPaused(source: 'mic' | 'camera', paused: boolean): Promise<void> {
    const producer = this.producers.get(source);
    if (!producer || producer.closed) return;
    if (paused) {
      producer.pause();
      this.events.emit('localChanged');
      await this.signaling.request('producer.pause', { producerId: producer.id });
    } else {
      await this.signaling.request('producer.resume', { producerId: producer.id });
      producer.resume();
      this.events.emit('localChanged');
    }
  }

  /** The host muted us: the server already paused the producer; mirror it locally. */
  mutedByHost(): void {
    const p = this.producers.get('mic');
    if (p && !p.closed && !p.paused) {
      p.pause();
      this.events.emit('localChanged');
    }
  }

  /** Screen share: presentation.start (takes over from any presenter), then a screen producer. */
  async startScreen(): Promise<void> {
    if (this.mode === 'audio-only') return;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
    } catch (err) {
      throw new SignalingError('media_unavailable', `Screen sharing was not started: ${String(err)}`);
    }
    const track = stream.getVideoTracks()[0];
    if (!track) throw new SignalingError('media_unavailable', 'No screen track.');
    await this.signaling.request('presentation.start', {}).catch((err: unknown) => {
      track.stop();
      throw err;
    });
    try {
      // Same codec rule as the camera: room systems show the presentation without transcoding.
      const codec = chooseVideoCodec(this.device?.rtpCapabilities.codecs ?? [], senderVideoCodecs());
      await this.produce('screen', track, { encodings: [{ maxBitrate: screenMaxBitrate(this.bandwidthKbps) }], ...(codec ? { codec } : {}) });
    } catch (err) {
      track.stop();
      await this.signaling.request('presentation.stop', {}).catch(() => undefined);
      throw err;
    }
    track.addEventListener('ended', () => void this.stopScreen().catch(() => undefined));
  }

  /** Stops our screen share (and tells the server unless it already ended it). */
  async stopScreen(notifyServer = true): Promise<void> {
    const producer = this.producers.get('screen');
    if (!producer) return;
    this.producers.delete('screen');
    producer.close();
    producer.track?.stop();
    this.events.emit('localChanged');
    this.events.emit('screenEnded');
    if (notifyServer) {
      await this.signaling.request('producer.close', { producerId: producer.id }).catch(() => undefined);
      await this.signaling.request('presentation.stop', {}).catch(() => undefined);
    }
  }

  /** Bytes sent on the send transport so far (outbound-rtp payload + headers, by kind). */
  async sendStats(): Promise<SendStats> {
    const out: SendStats = { audioBytesSent: 0, videoBytesSent: 0 };
    const report = await this.sendTransport?.getStats();
    report?.forEach((s: { type?: string; kind?: string; bytesSent?: number; headerBytesSent?: number }) => {
      if (s.type !== 'outbound-rtp') return;
      const bytes = (s.bytesSent ?? 0) + (s.headerBytesSent ?? 0);
      if (s.kind === 'video') out.videoBytesSent += bytes;
      else if (s.kind === 'audio') out.audioBytesSent += bytes;
    });
    return out;
  }

  /** A `consumer.added` notification: consume, then ask the server to resume it. */
  async addConsumer(view: ConsumerView): Promise<void> {
    if (this.closed) return;
    if (!this.recvTransport) {
      this.earlyConsumers.push(view);
      return;
    }
    const consumer = await this.recvTransport.consume({
      id: view.id,
      producerId: view.producerId,
      kind: view.kind,
      rtpParameters: view.rtpParameters as unknown as ms.RtpParameters,
      streamId: `${view.participantId}-${view.source}`,
    });
    const remote: RemoteTrack = {
      consumerId: view.id,
      participantId: view.participantId,
      kind: view.kind,
      source: view.source,
      track: consumer.track,
      paused: view.producerPaused,
    };
    this.consumers.set(view.id, { consumer, remote });
    consumer.on('transportclose', () => this.removeConsumer(view.id));
    this.events.emit('trackAdded', remote);
    await this.signaling.request('consumer.resume', { consumerId: view.id });
  }

  removeConsumer(consumerId: string): void {
    const entry = this.consumers.get(consumerId);
    if (!entry) return;
    this.consumers.delete(consumerId);
    this.preferredLayers.delete(consumerId);
    entry.consumer.close();
    this.events.emit('trackRemoved', entry.remote);
  }

  setConsumerPaused(consumerId: string, paused: boolean): void {
    const entry = this.consumers.get(consumerId);
    if (!entry) return;
    entry.remote.paused = paused;
    this.events.emit('trackPaused', entry.remote);
  }

  remoteTracks(): RemoteTrack[] {
    return [...this.consumers.values()].map((e) => e.remote);
  }

  /**
   * Asks the SFU for at most this spatial layer of a camera (0 = smallest) — small tiles need
   * no HD. Sent only when it changes; a refusal is harmless (the SFU keeps its own choice).
   */
  preferSpatialLayer(consumerId: string, spatialLayer: number): void {
    const entry = this.consumers.get(consumerId);
    if (!entry || entry.remote.kind !== 'video' || this.preferredLayers.get(consumerId) === spatialLayer) return;
    this.preferredLayers.set(consumerId, spatialLayer);
    this.signaling.request('consumer.setPreferredLayers', { consumerId, spatialLayer }).catch(() => this.preferredLayers.delete(consumerId));
  }

  /**
   * After a resumed session: new ICE credentials from the server for each transport, and the
   * fresh TURN credentials the new hello brought (the old ones may be close to expiry).
   */
  async restartIce(iceServers?: IceServerView[]): Promise<void> {
    for (const transport of [this.sendTransport, this.recvTransport]) {
      if (!transport || transport.closed) continue;
      if (iceServers && iceServers.length > 0) await transport.updateIceServers({ iceServers });
      const { iceParameters } = await this.signaling.request('transport.restartIce', { transportId: transport.id });
      await transport.restartIce({ iceParameters: iceParameters as unknown as ms.IceParameters });
    }
  }

  /** Bytes of audio received and video frames decoded, per remote participant, from the recv transport's getStats. */
  async stats(): Promise<Record<string, RemoteStats>> {
    const out: Record<string, RemoteStats> = {};
    const transport = this.recvTransport;
    if (!transport || transport.closed) return out;
    const byTrack = new Map<string, RemoteTrack>();
    const byMid = new Map<string, RemoteTrack>();
    for (const { consumer, remote } of this.consumers.values()) {
      byTrack.set(consumer.track.id, remote);
      byMid.set(consumer.localId, remote);
      out[remote.participantId] ??= { audioBytesReceived: 0, framesDecoded: 0 };
    }
    const report = await transport.getStats();
    report.forEach((s: Record<string, unknown>) => {
      if (s.type !== 'inbound-rtp') return;
      const remote =
        (typeof s.trackIdentifier === 'string' ? byTrack.get(s.trackIdentifier) : undefined) ??
        (typeof s.mid === 'string' ? byMid.get(s.mid) : undefined);
      if (!remote) return;
      const entry = (out[remote.participantId] ??= { audioBytesReceived: 0, framesDecoded: 0 });
      if (s.kind === 'audio' && typeof s.bytesReceived === 'number') entry.audioBytesReceived += s.bytesReceived;
      if (s.kind === 'video' && typeof s.framesDecoded === 'number') entry.framesDecoded += s.framesDecoded;
    });
    return out;
  }

  /**
   * The type of the local candidate each transport's selected ICE pair uses (`host`, `srflx`,
   * `prflx` or `relay` — relay means the media goes through TURN); null before one is selected.
   */
  async selectedCandidateTypes(): Promise<{ send: string | null; recv: string | null }> {
    const typeOf = async (transport: ms.Transport | null): Promise<string | null> => {
      if (!transport || transport.closed) return null;
      const report = await transport.getStats();
      const entries = new Map<string, Record<string, unknown>>();
      report.forEach((s: Record<string, unknown>) => entries.set(String(s.id), s));
      let pairId: unknown;
      for (const s of entries.values()) if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
      const pair = typeof pairId === 'string' ? entries.get(pairId) : [...entries.values()].find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded');
      const local = pair && typeof pair.localCandidateId === 'string' ? entries.get(pair.localCandidateId) : undefined;
      return typeof local?.candidateType === 'string' ? local.candidateType : null;
    };
    return { send: await typeOf(this.sendTransport), recv: await typeOf(this.recvTransport) };
  }

  close(): void {
    this.closed = true;
    for (const p of this.producers.values()) {
      p.close();
      p.track?.stop();
    }
    this.producers.clear();
    for (const id of [...this.consumers.keys()]) this.removeConsumer(id);
    this.sendTransport?.close();
    this.recvTransport?.close();
  }

  private async produce(source: LocalSource, track: MediaStreamTrack, options: Omit<ms.ProducerOptions, 'track' | 'appData'>): Promise<void> {
    const transport = this.sendTransport;
    if (!transport) {
      track.stop();
      throw new SignalingError('media_error', 'Media is not set up yet.');
    }
    const old = this.producers.get(source);
    if (old && !old.closed) {
      old.close();
      old.track?.stop();
    }
    const producer = await transport.produce({ track, ...options, stopTracks: true, appData: { source } });
    this.producers.set(source, producer);
    producer.on('transportclose', () => {
      if (this.producers.get(source) === producer) this.producers.delete(source);
    });
    this.events.emit('localChanged');
  }

  private async createTransport(direction: 'send' | 'recv'): Promise<ms.Transport> {
    const info: TransportInfo = await this.signaling.request('transport.create', { direction });
    const options: ms.TransportOptions = {
      id: info.id,
      iceParameters: info.iceParameters as unknown as ms.IceParameters,
      iceCandidates: info.iceCandidates as unknown as ms.IceCandidate[],
      dtlsParameters: info.dtlsParameters as unknown as ms.DtlsParameters,
      // TURN (if the node has any) for networks that block direct media; 'relay' forces it.
      iceServers: this.ice.iceServers,
      iceTransportPolicy: this.ice.iceTransportPolicy,
    };
    const device = this.device;
    if (!device) throw new SignalingError('media_error', 'Device not loaded.');
    const transport = direction === 'send' ? device.createSendTransport(options) : device.createRecvTransport(options);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.signaling
        .request('transport.connect', { transportId: transport.id, dtlsParameters: dtlsParameters as unknown as Record<string, unknown> })
        .then(() => callback(), errback);
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        const source = (appData as { source?: SourceName }).source ?? (kind === 'audio' ? 'mic' : 'camera');
        this.signaling
          .request('producer.create', {
            transportId: transport.id,
            kind,
            rtpParameters: rtpParameters as unknown as Record<string, unknown>,
            source,
          })
          .then(({ producerId }) => callback({ id: producerId }), errback);
      });
    }
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed') this.events.emit('transportFailed', direction);
    });
    return transport;
  }
}

/** What this browser can encode (null where the API is missing). */
function senderVideoCodecs(): { mimeType: string; sdpFmtpLine?: string }[] | null {
  return typeof RTCRtpSender !== 'undefined' && typeof RTCRtpSender.getCapabilities === 'function' ? (RTCRtpSender.getCapabilities('video')?.codecs ?? null) : null;
}

async function getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream> {
  try {
    return await navigator.mediaDevices.getUserMedia(constraints);
  } catch (err) {
    throw new SignalingError('media_unavailable', `getUserMedia failed: ${String(err)}`);
  }
}
