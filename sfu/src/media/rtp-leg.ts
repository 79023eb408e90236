import type { Logger } from 'pino';
import type { PlainTransport, Transport } from 'mediasoup/node/lib/types.js';
import type { RtpLegApi } from './api.js';
import { MediaError, MediaErrorCode } from './errors.js';
import { MediaLeg } from './media-leg.js';
import type { RoomContext, RoomProducer, RouterSlot } from './room-internals.js';
import { SsrcLatch } from './ssrc-latch.js';
import {
  RTP_STREAM_ROLES,
  type JoinMode,
  type RtpConsumerInfo,
  type RtpLegOptions,
  type RtpProduceRequest,
  type RtpRemote,
  type RtpStreamRole,
  type RtpTransportInfo,
  type RtpTransportOptions,
  type RtpTransportStats,
} from './types.js';

/** Which m-line a room producer reaches an RTP leg on. */
export function roleFor(entry: Pick<RoomProducer, 'kind' | 'source'>): RtpStreamRole {
  if (entry.kind === 'audio') return 'audio';
  return entry.source === 'screen' ? 'presentation' : 'video';
}

/** Describes a plain transport the way an SDP answer needs it. */
export function describePlainTransport(
  transport: PlainTransport,
  role: RtpStreamRole,
  options: { comedia: boolean; rtcpMux: boolean },
  announcedIp: string | null,
): RtpTransportInfo {
  return {
    id: transport.id,
    role,
    ip: announcedIp ?? transport.tuple.localIp,
    port: transport.tuple.localPort,
    ...(!options.rtcpMux && transport.rtcpTuple ? { rtcpPort: transport.rtcpTuple.localPort } : {}),
    comedia: options.comedia,
    rtcpMux: options.rtcpMux,
    ...(transport.srtpParameters ? { srtpParameters: { ...transport.srtpParameters } } : {}),
  };
}

/** Opens a PlainTransport with the room's RTP listen address (shared by RTP legs and the audio tap). */
export async function openPlainTransport(
  slot: RouterSlot,
  room: RoomContext,
  options: { comedia: boolean; rtcpMux: boolean; srtpCryptoSuite?: RtpTransportOptions['srtpCryptoSuite'] },
  appData: Record<string, unknown>,
): Promise<PlainTransport> {
  const { rtpListenIp, rtpAnnouncedAddress } = room.config;
  try {
    return await slot.router.createPlainTransport({
      listenIp: { ip: rtpListenIp, ...(rtpAnnouncedAddress ? { announcedIp: rtpAnnouncedAddress } : {}) },
      comedia: options.comedia,
      rtcpMux: options.rtcpMux,
      ...(options.srtpCryptoSuite ? { enableSrtp: true, srtpCryptoSuite: options.srtpCryptoSuite } : {}),
      appData,
    });
  } catch (err) {
    throw new MediaError(MediaErrorCode.InvalidParameters, `cannot open an RTP transport: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Connects a plain transport to the remote address / key from the remote SDP. */
export async function connectPlainTransport(transport: PlainTransport, comedia: boolean, remote: RtpRemote): Promise<void> {
  if (transport.srtpParameters && !remote.srtpParameters) {
    throw new MediaError(MediaErrorCode.InvalidParameters, 'this RTP transport uses SRTP: the remote key (srtpParameters) is required');
  }
  if (!comedia && (remote.ip === undefined || remote.port === undefined)) {
    throw new MediaError(MediaErrorCode.InvalidParameters, 'without comedia the remote ip and port are required');
  }
  try {
    await transport.connect({
      ...(comedia ? {} : { ip: remote.ip, port: remote.port }),
      ...(!comedia && remote.rtcpPort !== undefined ? { rtcpPort: remote.rtcpPort } : {}),
      ...(remote.srtpParameters ? { srtpParameters: remote.srtpParameters } : {}),
    });
  } catch (err) {
    throw new MediaError(MediaErrorCode.InvalidParameters, `cannot connect the RTP transport: ${err instanceof Error ? err.message : String(err)}`);
  }
}

interface RtpTransportEntry {
  transport: PlainTransport;
  role: RtpStreamRole;
  comedia: boolean;
  /** With learnSsrc: the relay the remote talks to. */
  latch?: SsrcLatch;
  /** With learnSsrc: whether the transport behind the relay is connected yet (SRTP waits for the remote key). */
  innerConnected?: boolean;
}

/**
 * A non-browser participant's leg (SIP room system, phone, interop gateway): one mediasoup
 * PlainTransport per m-line (audio / video / presentation), each optionally comedia (symmetric
 * RTP behind NAT), RTCP-muxed or not, and SDES-SRTP. Producers come from RTP parameters built from
 * the remote SDP; consumers (chosen by the policy for RTP legs: its own audio mix, one switched
 * camera, the presentation) are created unpaused on the transport of their m-line and flow to the
 * remote address as soon as it is known.
 */
export class RtpLeg extends MediaLeg implements RtpLegApi {
  readonly leg = 'rtp' as const;
  protected readonly consumersStartPaused = false;
  protected readonly dropsSilenceFrames = false;
  private readonly transports = new Map<string, RtpTransportEntry>();
  /** Roles whose transport is being created: taken synchronously so concurrent calls cannot both pass. */
  private readonly creatingRoles = new Set<RtpStreamRole>();

  /** @internal Created by MediaRoom.addRtpLeg. */
  constructor(id: string, mode: JoinMode, options: RtpLegOptions, slot: RouterSlot, room: RoomContext, logger: Logger) {
    super(id, mode, options, slot, room, logger);
  }

  async createRtpTransport(options: RtpTransportOptions): Promise<RtpTransportInfo> {
    this.assertOpen();
    const { role } = options;
    if (!RTP_STREAM_ROLES.includes(role)) throw new MediaError(MediaErrorCode.InvalidParameters, `unknown RTP stream role ${String(role)}`);
    if (this.creatingRoles.has(role) || [...this.transports.values()].some((t) => t.role === role)) {
      throw new MediaError(MediaErrorCode.TransportExists, `an RTP transport for ${role} already exists`);
    }
    this.creatingRoles.add(role);
    try {
      return options.learnSsrc ? await this.createLatchedTransport(options) : await this.createPlainTransport(options);
    } finally {
      this.creatingRoles.delete(role);
    }
  }

  private async createPlainTransport(options: RtpTransportOptions): Promise<RtpTransportInfo> {
    const { role } = options;
    const transport = await openPlainTransport(this.slot, this.room, options, { participantId: this.id, role });
    if (this.isClosed) {
      transport.close();
      throw new MediaError(MediaErrorCode.ParticipantClosed, 'participant left while its transport was being created');
    }
    this.transports.set(transport.id, { transport, role, comedia: options.comedia });
    await this.applyTransportBitrate(transport);
    this.scheduleSync();
    return describePlainTransport(transport, role, options, this.room.config.rtpAnnouncedAddress);
  }

  /** A PlainTransport behind an SsrcLatch: the remote sees the latch's ports; the transport talks to the latch only. */
  private async createLatchedTransport(options: RtpTransportOptions): Promise<RtpTransportInfo> {
    const { role, comedia, rtcpMux } = options;
    const { rtpRelayMinPort, rtpRelayMaxPort } = this.room.config;
    const latch = await SsrcLatch.open(this.room.config.rtpListenIp, [rtpRelayMinPort, rtpRelayMaxPort], rtcpMux, comedia);
    let transport: PlainTransport;
    try {
      transport = await openPlainTransport(this.slot, this.room, { ...options, comedia: false }, { participantId: this.id, role, learnSsrc: true });
    } catch (err) {
      latch.close();
      throw err;
    }
    const entry: RtpTransportEntry = { transport, role, comedia, latch, innerConnected: false };
    latch.attach({ rtp: { ip: transport.tuple.localIp, port: transport.tuple.localPort }, ...(transport.rtcpTuple ? { rtcp: { ip: transport.rtcpTuple.localIp, port: transport.rtcpTuple.localPort } } : {}) });
    try {
      // With SRTP the transport can only be connected with the remote's key (connectRtpTransport).
      if (!transport.srtpParameters) await this.connectInner(entry, {});
    } catch (err) {
      latch.close();
      transport.close();
      throw err;
    }
    if (this.isClosed) {
      latch.close();
      transport.close();
      throw new MediaError(MediaErrorCode.ParticipantClosed, 'participant left while its transport was being created');
    }
    this.transports.set(transport.id, entry);
    await this.applyTransportBitrate(transport);
    this.scheduleSync();
    const announced = this.room.config.rtpAnnouncedAddress;
    return {
      ...describePlainTransport(transport, role, options, announced),
      ip: announced ?? latch.rtpAddress.ip,
      port: latch.rtpAddress.port,
      ...(latch.rtcpAddress ? { rtcpPort: latch.rtcpAddress.port } : {}),
    };
  }

  private async connectInner(entry: RtpTransportEntry, remote: RtpRemote): Promise<void> {
    const { latch, transport } = entry;
    if (!latch || entry.innerConnected) return;
    entry.innerConnected = true;
    const rtcp = latch.rtcpAddress;
    try {
      await connectPlainTransport(transport, false, {
        ip: latch.rtpAddress.ip,
        port: latch.rtpAddress.port,
        ...(rtcp ? { rtcpPort: rtcp.port } : {}),
        ...(remote.srtpParameters ? { srtpParameters: remote.srtpParameters } : {}),
      });
    } catch (err) {
      entry.innerConnected = false;
      throw err;
    }
  }

  async connectRtpTransport(transportId: string, remote: RtpRemote): Promise<void> {
    const entry = this.transportEntry(transportId);
    const { transport, comedia, latch } = entry;
    if (!latch) return connectPlainTransport(transport, comedia, remote);
    if (transport.srtpParameters && !remote.srtpParameters) {
      throw new MediaError(MediaErrorCode.InvalidParameters, 'this RTP transport uses SRTP: the remote key (srtpParameters) is required');
    }
    if (!comedia) {
      if (remote.ip === undefined || remote.port === undefined) throw new MediaError(MediaErrorCode.InvalidParameters, 'without comedia the remote ip and port are required');
      latch.connect({ ip: remote.ip, port: remote.port }, remote.rtcpPort !== undefined ? { ip: remote.ip, port: remote.rtcpPort } : undefined);
    }
    await this.connectInner(entry, remote);
  }

  async produce({ transportId, kind, source, rtpParameters }: RtpProduceRequest): Promise<string> {
    const { transport, role, latch } = this.transportEntry(transportId);
    if (roleFor({ kind, source }) !== role) throw new MediaError(MediaErrorCode.WrongTransportDirection, `${source} does not go on the ${role} RTP transport`);
    const routable = (rtpParameters.encodings ?? []).length > 0 && (rtpParameters.encodings ?? []).every((e) => e.ssrc !== undefined || e.rid !== undefined);
    if (!routable && !rtpParameters.mid && latch) {
      // A busy source fails below without waiting for packets.
      if (![...this.ownProducers.values()].some((p) => p.source === source)) {
        const payloadTypes = new Set(rtpParameters.codecs.filter((c) => !c.mimeType.toLowerCase().endsWith('/rtx')).map((c) => c.payloadType));
        const taken = new Set([...this.ownProducers.values()].flatMap((p) => (p.producer.rtpParameters.encodings ?? []).map((e) => e.ssrc ?? -1)));
        const ssrc = await latch.learnSsrc(payloadTypes, taken, this.room.config.rtpSsrcLearnTimeoutMs);
        this.assertOpen();
        rtpParameters = { ...rtpParameters, encodings: [{ ...(rtpParameters.encodings?.[0] ?? {}), ssrc }] };
      }
    } else if (!routable && !rtpParameters.mid) {
      throw new MediaError(MediaErrorCode.InvalidParameters, 'an RTP leg producer needs the sender\'s SSRC in rtpParameters.encodings[].ssrc (from a=ssrc, or learnt from its first packet)');
    }
    return this.addProducer(transport, kind, source, rtpParameters);
  }

  rtpConsumerInfos(): RtpConsumerInfo[] {
    return [...this.consumers.values()].map((c) => ({ ...this.describe(c), transportId: c.transportId, role: roleFor(c.entry) }));
  }

  async transportStats(): Promise<RtpTransportStats[]> {
    this.assertOpen();
    return Promise.all(
      [...this.transports.values()].map(async ({ transport, role, latch }) => {
        const [s] = await transport.getStats();
        const learnt = latch?.remote;
        const remote = latch
          ? learnt
            ? { remoteIp: learnt.ip, remotePort: learnt.port }
            : {}
          : s?.tuple.remoteIp !== undefined
            ? { remoteIp: s.tuple.remoteIp, remotePort: s.tuple.remotePort }
            : {};
        return { id: transport.id, role, rtpBytesReceived: s?.rtpBytesReceived ?? 0, rtpBytesSent: s?.rtpBytesSent ?? 0, ...remote };
      }),
    );
  }

  async requestKeyFrame(consumerId: string): Promise<void> {
    await this.consumerEntry(consumerId).consumer.requestKeyFrame();
  }

  protected async applyBandwidth(): Promise<void> {
    for (const { transport } of this.transports.values()) await this.applyTransportBitrate(transport);
  }

  private async applyTransportBitrate(transport: PlainTransport): Promise<void> {
    // 0 = no cap. PlainTransports have no bandwidth estimation, so only the incoming cap applies.
    await transport.setMaxIncomingBitrate(this.maxIncomingBitrateBps);
  }

  protected readyToConsume(): boolean {
    return this.transports.size > 0;
  }

  protected consumerTransport(entry: RoomProducer): Transport | undefined {
    const role = roleFor(entry);
    for (const t of this.transports.values()) if (t.role === role && !t.transport.closed) return t.transport;
    return undefined;
  }

  protected allTransports(): Transport[] {
    return [...this.transports.values()].map((t) => t.transport);
  }

  protected forgetTransports(): void {
    for (const t of this.transports.values()) t.latch?.close();
    this.transports.clear();
  }

  private transportEntry(id: string): RtpTransportEntry {
    this.assertOpen();
    const t = this.transports.get(id);
    if (!t) throw new MediaError(MediaErrorCode.UnknownTransport, `no transport ${id}`);
    return t;
  }
}
