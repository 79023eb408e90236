/**
 * A minimal mediasoup-client participant that runs inside a test page. It knows no signalling:
 * every request to the server goes through `window.__convene_signal(method, data)`, which the test
 * (Node side, test/support/browser.ts) implements — by calling the SFU directly, or by forwarding
 * to a real signalling socket. Bundled with esbuild into an IIFE that sets `window.mediaPage`.
 */
import { Device, types } from 'mediasoup-client';

import type { ConsumeOptions, InboundStats, MediaPageApi, OutboundVideoLayer, PageGlobal, ProduceOptions, SignalRequest, Source, TransportOptions } from './api.js';

const page = globalThis as unknown as PageGlobal;
const signal = <T,>(req: SignalRequest): Promise<T> => page.__convene_signal(req.method, req.data) as Promise<T>;

const SIMULCAST: RTCRtpEncodingParameters[] = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 150_000, scalabilityMode: 'L1T3' } as RTCRtpEncodingParameters,
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 500_000, scalabilityMode: 'L1T3' } as RTCRtpEncodingParameters,
  { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 1_200_000, scalabilityMode: 'L1T3' } as RTCRtpEncodingParameters,
];

export class MediaPage implements MediaPageApi {
  private device: Device | undefined;
  private sendTransport: types.Transport | undefined;
  private recvTransport: types.Transport | undefined;
  private recvReady: Promise<types.Transport>;
  private resolveRecv!: (t: types.Transport) => void;
  private readonly consumers = new Map<string, { consumer: types.Consumer; info: ConsumeOptions }>();
  private readonly producers = new Map<Source, types.Producer>();
  readonly transportStates: Record<string, string> = {};
  readonly errors: string[] = [];

  constructor() {
    this.recvReady = new Promise((resolve) => (this.resolveRecv = resolve));
  }

  async load(routerRtpCapabilities: types.RtpCapabilities): Promise<types.RtpCapabilities> {
    this.device = new Device();
    await this.device.load({ routerRtpCapabilities });
    return this.device.rtpCapabilities;
  }

  createSendTransport(options: TransportOptions): void {
    const t = this.loaded().createSendTransport(toClientTransport(options));
    this.wire(t, 'send');
    t.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      signal<string>({ method: 'produce', data: { transportId: t.id, kind, rtpParameters, source: appData.source as Source } })
        .then((id) => callback({ id }))
        .catch((err: unknown) => errback(err instanceof Error ? err : new Error(String(err))));
    });
    this.sendTransport = t;
  }

  createRecvTransport(options: TransportOptions): void {
    const t = this.loaded().createRecvTransport(toClientTransport(options));
    this.wire(t, 'recv');
    this.recvTransport = t;
    this.resolveRecv(t);
  }

  private wire(t: types.Transport, direction: 'send' | 'recv'): void {
    this.transportStates[direction] = t.connectionState;
    t.on('connectionstatechange', (state) => (this.transportStates[direction] = state));
    t.on('connect', ({ dtlsParameters }, callback, errback) => {
      signal<void>({ method: 'connectTransport', data: { transportId: t.id, dtlsParameters } })
        .then(() => callback())
        .catch((err: unknown) => errback(err instanceof Error ? err : new Error(String(err))));
    });
  }

  /** Sends the fake camera / microphone (Chromium's --use-fake-device-for-media-stream). Returns the producer id. */
  async produce({ source, simulcast = false, codecMimeType, encodings, capture }: ProduceOptions): Promise<string> {
    const transport = this.sendTransport;
    if (!transport) throw new Error('no send transport');
    const audio = source === 'mic' || source === 'screen-audio';
    // Headless Chromium with --use-fake-ui-for-media-stream answers getDisplayMedia with a fake 1280x720 screen.
    const stream =
      source === 'screen'
        ? await navigator.mediaDevices.getDisplayMedia({ video: true })
        : await navigator.mediaDevices.getUserMedia(audio ? { audio: true } : { video: capture ?? { width: 1280, height: 720, frameRate: 15 } });
    const track = audio ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
    if (!track) throw new Error(`no ${audio ? 'audio' : 'video'} track from the fake device`);
    const codec = codecMimeType ? this.loaded().rtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === codecMimeType.toLowerCase()) : undefined;
    const producer = await transport.produce({
      track,
      appData: { source },
      ...(!audio && encodings ? { encodings: encodings as RTCRtpEncodingParameters[] } : simulcast && !audio ? { encodings: SIMULCAST } : {}),
      ...(codec ? { codec } : {}),
    });
    this.producers.set(source, producer);
    return producer.id;
  }

  /** Builds the client side of a consumer the SFU created, then asks the server to resume it. */
  async consume(info: ConsumeOptions): Promise<void> {
    try {
      const transport = await this.recvReady;
      const consumer = await transport.consume({ id: info.id, producerId: info.producerId, kind: info.kind, rtpParameters: info.rtpParameters as unknown as types.RtpParameters });
      this.consumers.set(info.id, { consumer, info });
      await signal<void>({ method: 'resumeConsumer', data: { consumerId: info.id } });
    } catch (err) {
      this.errors.push(`consume ${info.id}: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  closeConsumer(consumerId: string): void {
    this.consumers.get(consumerId)?.consumer.close();
    this.consumers.delete(consumerId);
  }

  consumerIds(): string[] {
    return [...this.consumers.keys()];
  }

  /** inbound-rtp figures per consumer (what a user would notice: bytes arriving, frames decoded). */
  async inboundStats(): Promise<InboundStats[]> {
    const out: InboundStats[] = [];
    for (const { consumer, info } of this.consumers.values()) {
      const row: InboundStats = {
        consumerId: info.id,
        participantId: info.participantId,
        source: info.source,
        kind: info.kind,
        bytesReceived: 0,
        packetsReceived: 0,
        framesDecoded: 0,
        frameWidth: 0,
        frameHeight: 0,
        mimeType: '',
      };
      const report = await consumer.getStats();
      const codecs = new Map<string, string>();
      report.forEach((s: { type?: string; id?: string; mimeType?: string }) => {
        if (s.type === 'codec' && s.id) codecs.set(s.id, s.mimeType ?? '');
      });
      report.forEach((s: { type?: string; bytesReceived?: number; packetsReceived?: number; framesDecoded?: number; frameWidth?: number; frameHeight?: number; codecId?: string }) => {
        if (s.type !== 'inbound-rtp') return;
        row.frameHeight = Math.max(row.frameHeight, s.frameHeight ?? 0);
        if (s.codecId) row.mimeType = codecs.get(s.codecId) ?? row.mimeType;
        row.bytesReceived += s.bytesReceived ?? 0;
        row.packetsReceived += s.packetsReceived ?? 0;
        row.framesDecoded += s.framesDecoded ?? 0;
        row.frameWidth = Math.max(row.frameWidth, s.frameWidth ?? 0);
      });
      out.push(row);
    }
    return out;
  }

  /** Outbound layers actually sent (to check simulcast is really on). */
  async outboundLayers(source: Source): Promise<{ rid: string; bytesSent: number }[]> {
    const producer = this.producers.get(source);
    if (!producer) return [];
    const out: { rid: string; bytesSent: number }[] = [];
    (await producer.getStats()).forEach((s: { type?: string; rid?: string; bytesSent?: number }) => {
      if (s.type === 'outbound-rtp') out.push({ rid: s.rid ?? '', bytesSent: s.bytesSent ?? 0 });
    });
    return out;
  }

  /** Per-layer encoder figures of a video producer (codec, resolution, frames, encode time). */
  async outboundVideo(source: Source): Promise<OutboundVideoLayer[]> {
    const producer = this.producers.get(source);
    if (!producer) return [];
    const report = await producer.getStats();
    const codecs = new Map<string, string>();
    report.forEach((s: { type?: string; id?: string; mimeType?: string }) => {
      if (s.type === 'codec' && s.id) codecs.set(s.id, s.mimeType ?? '');
    });
    const out: OutboundVideoLayer[] = [];
    report.forEach((s: Record<string, unknown>) => {
      if (s.type !== 'outbound-rtp') return;
      out.push({
        rid: (s.rid as string) ?? '',
        mimeType: codecs.get(s.codecId as string) ?? '',
        bytesSent: (s.bytesSent as number) ?? 0,
        framesEncoded: (s.framesEncoded as number) ?? 0,
        frameWidth: (s.frameWidth as number) ?? 0,
        frameHeight: (s.frameHeight as number) ?? 0,
        totalEncodeTime: (s.totalEncodeTime as number) ?? 0,
        encoderImplementation: (s.encoderImplementation as string) ?? '',
        scalabilityMode: (s.scalabilityMode as string) ?? '',
        qualityLimitationReason: (s.qualityLimitationReason as string) ?? '',
        active: (s.active as boolean) ?? true,
      });
    });
    return out.sort((a, b) => a.rid.localeCompare(b.rid));
  }

  pauseProducer(source: Source): void {
    this.producers.get(source)?.pause();
  }

  private loaded(): Device {
    if (!this.device) throw new Error('device not loaded');
    return this.device;
  }
}

/** mediasoup 3.12 servers name a candidate's address `ip`; mediasoup-client 3.18 also wants `address`. */
function toClientTransport(o: TransportOptions): types.TransportOptions {
  return { ...o, iceCandidates: o.iceCandidates.map((c) => ({ ...c, address: c.ip })) } as types.TransportOptions;
}

page.mediaPage = new MediaPage();
