import type { Logger } from 'pino';
import type { PlainTransport, Transport } from 'mediasoup/node/lib/types.js';
import type { RtpLegApi } from './api.js';
import { MediaError, MediaErrorCode } from './errors.js';
import { MediaLeg } from './media-leg.js';
import type { RoomContext, RoomProducer, RouterSlot } from './room-internals.js';
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
  private readonly transports = new Map<string, RtpTransportEntry>();

  /** @internal Created by MediaRoom.addRtpLeg. */
  constructor(id: string, mode: JoinMode, options: RtpLegOptions, slot: RouterSlot, room: RoomContext, logger: Logger) {
    super(id, mode, options, slot, room, logger);
  }

  async createRtpTransport(options: RtpTransportOptions): Promise<RtpTransportInfo> {
    this.assertOpen();
    const { role } = options;
    if (!RTP_STREAM_ROLES.includes(role)) throw new MediaError(MediaErrorCode.InvalidParameters, `unknown RTP stream role ${String(role)}`);
    if ([...this.transports.values()].some((t) => t.role === role)) {
      throw new MediaError(MediaErrorCode.TransportExists, `an RTP transport for ${role} already exists`);
    }
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

  async connectRtpTransport(transportId: string, remote: RtpRemote): Promise<void> {
    const { transport, comedia } = this.transportEntry(transportId);
    await connectPlainTransport(transport, comedia, remote);
  }

  async produce({ transportId, kind, source, rtpParameters }: RtpProduceRequest): Promise<string> {
    const { transport, role } = this.transportEntry(transportId);
    if (roleFor({ kind, source }) !== role) throw new MediaError(MediaErrorCode.WrongTransportDirection, `${source} does not go on the ${role} RTP transport`);
    const routable = (rtpParameters.encodings ?? []).length > 0 && (rtpParameters.encodings ?? []).every((e) => e.ssrc !== undefined || e.rid !== undefined);
    if (!routable && !rtpParameters.mid) {
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
      [...this.transports.values()].map(async ({ transport, role }) => {
        const [s] = await transport.getStats();
        const remote = s?.tuple.remoteIp !== undefined ? { remoteIp: s.tuple.remoteIp, remotePort: s.tuple.remotePort } : {};
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
    this.transports.clear();
  }

  private transportEntry(id: string): RtpTransportEntry {
    this.assertOpen();
    const t = this.transports.get(id);
    if (!t) throw new MediaError(MediaErrorCode.UnknownTransport, `no transport ${id}`);
    return t;
  }
}
