/**
 * One video m-line of a SIP call inside a worker: the caller-facing RTP/RTCP sockets (SDES-SRTP,
 * symmetric latching, direction), the ingress relay caller → SFU (SSRC and PT rewritten in
 * place), the SFU's keyframe requests relayed to the caller (PLI/FIR, else the `keyframeNeeded`
 * event), the call's bitrate cap sent to the caller as TMMBR/REMB, RTCP SR/RR, and the egress side:
 * the leg's SwitchedVideoStream, which the meeting's RoomVideoHost feeds with the selected stream.
 */
import type dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { buildReceiverReport, buildSenderReport, isRtcp, parseRtcp, ReceptionStats, type ReportBlock } from '../rtp/index.js';
import { buildFir, buildPli, buildRemb, buildTmmbr, keyframeRequestFor, RTCP_RTPFB, SwitchedVideoStream, type SwitchReport } from '../video/index.js';
import { connectTo, clearRtcp, clearRtp, listenToCaller, relatchNeeded, sameAddress, sdpDestinations, type LegCounters } from './caller-sockets.js';
import type { MediaEngineConfig } from './config.js';
import { MediaEngineError, setReceiveBuffer, type PortAllocator } from './port-allocator.js';
import type { CallEventMessage } from './protocol.js';
import { srtpSessionFor, type SrtpSession } from './srtp-session.js';
import type { CallVideoSession, CallVideoStats, VideoRole, VideoSendTarget } from './types.js';

export interface VideoLegContext {
  readonly config: MediaEngineConfig;
  readonly allocator: PortAllocator;
  /** Shared with the audio legs: dropped packets and SRTP failures. */
  readonly counters: LegCounters;
  readonly videoCounters: VideoCounters;
  emit(callId: string, event: CallEventMessage): void;
}

export interface VideoCounters {
  ingressPackets: number;
  egressPackets: number;
}

/** What a leg needs from the meeting's video fan-out it is joined to (RoomVideoHost). */
export interface VideoLegRoom {
  /** Ask the tap stream `streamId` (SSRC `ssrc`) for a keyframe (RTCP PLI to the tap). */
  requestKeyframe(streamId: string, ssrc: number, nowMs: number): void;
}

const CNAME = 'convene-gateway';
const CALLER_RECEIVE_BUFFER_BYTES = 1024 * 1024;
/** Generic NACK (RFC 4585 §6.2.1): transport-layer feedback FMT 1; at most this many FCIs relayed per packet. */
const RTPFB_FMT_NACK = 1;
const MAX_NACK_FCI = 32;
const RTCP_BYTES = 256;
/** TMMBR/REMB are repeated this often while a cap is set (a lost one must not leave the caller uncapped). */
const CAP_REPEAT_MS = 5000;
/** keyframeNeeded at most this often per leg (the call layer answers with a SIP INFO). */
const KEYFRAME_EVENT_MIN_MS = 1000;
/** PLI/FIR relays to the caller at most this often (mediasoup repeats its own requests). */
const KEYFRAME_RELAY_MIN_MS = 100;
/** A switch re-asks the new stream for its keyframe this often, this many times, then waits for a natural one. */
const SWITCH_KEYFRAME_RETRY_MS = 300;
const SWITCH_KEYFRAME_MAX_REQUESTS = 10;
/** Per-packet overhead under the payload for TMMBR (RFC 5104 §4.2.1.2): IP + UDP + RTP (+ SRTP tag). */
const IPV4_UDP_RTP_BYTES = 20 + 8 + 12;
const IPV6_UDP_RTP_BYTES = 40 + 8 + 12;

/** The payload type the caller receives (its own SDP's number; see VideoCodecSpec.sendPayloadType). */
const sendPt = (session: CallVideoSession): number => session.codec.sendPayloadType ?? session.codec.payloadType;

/**
 * Checks an RTP header in place (version, CSRCs, extension and padding within the datagram, not
 * RTCP) without allocating; returns the payload length or -1.
 */
function rtpPayloadLength(buf: Uint8Array, len: number): number {
  if (len < 12) return -1;
  const b0 = buf[0]!;
  if (b0 >> 6 !== 2) return -1;
  const b1 = buf[1]!;
  if (b1 >= 192 && b1 <= 223) return -1;
  let offset = 12 + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (offset + 4 > len) return -1;
    offset += 4 + ((buf[offset + 2]! << 8) | buf[offset + 3]!) * 4;
  }
  if (offset > len) return -1;
  let padding = 0;
  if (b0 & 0x20) {
    padding = buf[len - 1]!;
    if (padding === 0 || offset + padding > len) return -1;
  }
  return len - offset - padding;
}

export class VideoLeg {
  session: CallVideoSession | null = null;
  /** The meeting's fan-out this leg is part of (set by the worker on joinRoomVideo). */
  room: VideoLegRoom | null = null;
  /** The egress stream (one SSRC towards the caller); re-created when the codec or its PT changes. */
  switched: SwitchedVideoStream | null = null;
  /** Stream ids added to `switched` as sources (the room's bookkeeping). */
  readonly sources = new Set<string>();
  /** Called when `switched` was re-created (the room re-adds and re-selects). */
  onSwitchedReset: (() => void) | null = null;

  readonly ssrc = randomBytes(4).readUInt32BE(0);
  private srtp: SrtpSession | null = null;
  private rtpDest: { ip: string; port: number } | null = null;
  private rtcpDest: { ip: string; port: number } | null = null;
  private latched = false;
  private rtcpLatched = false;
  private remoteSsrc: number | null = null;
  private reception: ReceptionStats | null = null;
  private lastPacketMs: number | null = null;
  private nextRtcpMs = 0;
  private nextCapMs = Infinity;

  private ingressSocket: dgram.Socket | null = null;
  private ingressTarget: VideoSendTarget | null = null;
  private firSequence = 0;
  private lastRelayMs = -Infinity;
  private lastKeyframeEventMs = -Infinity;

  // Stats.
  private packetsReceived = 0;
  private bytesReceived = 0;
  private packetsRelayed = 0;
  private packetsSent = 0;
  private bytesSent = 0;
  private switches = 0;
  private nacksToCaller = 0;
  private readonly toCaller = { pli: 0, fir: 0, event: 0 };
  private readonly fromCaller = { pli: 0, fir: 0, info: 0 };
  private readonly capSent = { tmmbr: 0, remb: 0 };
  /** Bytes in the current one-second window, and the rates of the last complete one. */
  private windowStartMs = 0;
  private windowSentBytes = 0;
  private windowReceivedBytes = 0;
  private forwardedBps = 0;
  private receivedBps = 0;
  private overCap = false;
  private closed = false;

  constructor(
    readonly callId: string,
    readonly role: VideoRole,
    private readonly rtpSocket: dgram.Socket,
    private readonly rtcpSocket: dgram.Socket,
    private readonly ctx: VideoLegContext,
    private readonly now: () => number,
  ) {
    listenToCaller(rtpSocket, rtcpSocket, ctx.counters, {
      receiving: () => (this.closed ? null : this.session),
      rtp: (msg, rinfo) => this.onRtp(msg, rinfo),
      rtcp: (msg, rinfo) => this.onRtcp(msg, rinfo),
    });
    // A caller's keyframe arrives as a burst of packets.
    setReceiveBuffer(rtpSocket, CALLER_RECEIVE_BUFFER_BYTES);
    this.windowStartMs = now();
  }

  get local(): { rtpPort: number; rtcpPort: number } {
    return { rtpPort: this.rtpSocket.address().port, rtcpPort: this.rtcpSocket.address().port };
  }

  configure(session: CallVideoSession): void {
    if (session.codec.name !== 'H264' && session.codec.name !== 'VP8') {
      throw new MediaEngineError('codec_unsupported', `video codec ${String(session.codec.name)} is not supported`);
    }
    for (const pt of [session.codec.payloadType, session.codec.sendPayloadType ?? 0]) {
      if (!Number.isInteger(pt) || pt < 0 || pt > 127) throw new MediaEngineError('bad_command', `video payload type ${pt} is not 0–127`);
    }
    const prev = this.session;
    const srtp = srtpSessionFor({ keys: prev?.srtp ?? null, session: this.srtp }, session.srtp);
    const wasSending = this.sends();
    this.session = session;
    this.srtp = srtp;
    const nowMs = this.now();
    if (!prev || prev.codec.name !== session.codec.name || prev.codec.payloadType !== session.codec.payloadType || sendPt(prev) !== sendPt(session)) {
      this.reception = null;
      this.remoteSsrc = null;
      this.resetSwitched(prev !== null);
    }
    if (relatchNeeded(prev, session)) {
      this.latched = false;
      this.rtcpLatched = false;
      ({ rtp: this.rtpDest, rtcp: this.rtcpDest } = sdpDestinations(session));
    }
    this.nextRtcpMs = nowMs + this.ctx.config.rtcpIntervalMs;
    // The cap goes out on the next tick (once the caller's SSRC is known) and every few seconds after.
    this.nextCapMs = session.capBps > 0 ? nowMs : Infinity;
    // Back from hold: the caller's decoder needs a fresh keyframe.
    if (!wasSending && this.sends()) this.switched?.endpointKeyframeRequest(nowMs);
  }

  private resetSwitched(notify: boolean): void {
    this.sources.clear();
    this.switched = new SwitchedVideoStream(
      {
        outputSsrc: this.ssrc,
        keyframeTimeoutMs: SWITCH_KEYFRAME_RETRY_MS,
        maxKeyframeRequests: SWITCH_KEYFRAME_MAX_REQUESTS,
      },
      {
        send: (packet, length) => this.sendEgress(packet, length),
        requestKeyframe: (streamId, ssrc) => this.room?.requestKeyframe(streamId, ssrc, this.now()),
        switched: (report) => this.onSwitched(report),
      },
    );
    if (notify) this.onSwitchedReset?.();
  }

  /** Adds a room stream as a source of the egress stream (PT mapped to the caller's). */
  addSource(streamId: string, ssrc: number, payloadType: number, codec: 'H264' | 'VP8'): void {
    const switched = this.switched;
    if (!switched || !this.session) throw new MediaEngineError('not_configured', 'configureVideo() before selecting a stream');
    if (codec !== this.session.codec.name) {
      throw new MediaEngineError('codec_unsupported', `stream ${streamId} is ${codec}, call ${this.callId} ${this.role} negotiated ${this.session.codec.name}`);
    }
    if (this.sources.has(streamId)) return;
    switched.addSource(streamId, { ssrc, payloadTypes: [{ payloadType, outputPayloadType: sendPt(this.session), codec: codec === 'VP8' ? 'vp8' : 'h264' }] });
    this.sources.add(streamId);
  }

  removeSource(streamId: string, nowMs: number): void {
    if (!this.sources.delete(streamId)) return;
    this.switched?.removeSource(streamId, nowMs);
  }

  clearSources(nowMs: number): void {
    this.switched?.select(null, nowMs);
    for (const id of [...this.sources]) this.removeSource(id, nowMs);
  }

  /** Whether packets of `streamId` matter to this leg now (shown, or awaited at a switch). */
  wants(streamId: string): boolean {
    const s = this.switched;
    return s !== null && (s.currentSourceId === streamId || s.pendingSourceId === streamId);
  }

  /** One packet of a selected tap stream (the leg may rewrite it in place). */
  handleTapPacket(packet: Uint8Array, nowMs: number): void {
    this.switched?.handlePacket(packet, nowMs);
  }

  private onSwitched(report: SwitchReport): void {
    this.switches++;
    this.ctx.emit(this.callId, { name: 'videoSwitched', role: this.role, streamId: report.to, waitedMs: Math.round(report.switchToKeyframeMs) });
  }

  /** The caller asked for a refresh by SIP INFO: a keyframe from what it receives now. */
  requestKeyframeForCaller(): void {
    this.fromCaller.info++;
    this.switched?.endpointKeyframeRequest(Math.round(this.now()));
  }

  async setIngress(target: VideoSendTarget | null): Promise<void> {
    if (!target) {
      this.ingressTarget = null;
      this.ctx.allocator.release(this.ingressSocket);
      this.ingressSocket = null;
      return;
    }
    if (!this.ingressSocket) {
      const socket = await this.ctx.allocator.allocateSingle();
      if (this.closed) return void this.ctx.allocator.release(socket);
      socket.on('error', () => undefined);
      // mediasoup sends the producer's RTCP (PLI/FIR, RR) back to where its RTP comes from: this socket.
      socket.on('message', (msg) => {
        try {
          this.onSfuRtcp(msg);
        } catch {
          this.drop();
        }
      });
      this.ingressSocket = socket;
    }
    await connectTo(this.ingressSocket, target);
    this.ingressTarget = { ...target };
  }

  /** The worker's 20 ms tick: switch retries, the rate window, RTCP and cap timers. */
  tick(nowMs: number): void {
    const session = this.session;
    if (!session) return;
    this.switched?.tick(Math.round(nowMs));
    const elapsed = nowMs - this.windowStartMs;
    if (elapsed >= 1000) {
      this.forwardedBps = Math.round((this.windowSentBytes * 8000) / elapsed);
      this.receivedBps = Math.round((this.windowReceivedBytes * 8000) / elapsed);
      this.overCap = session.capBps > 0 && this.forwardedBps > session.capBps;
      this.windowSentBytes = 0;
      this.windowReceivedBytes = 0;
      this.windowStartMs = nowMs;
    }
    const capDue = nowMs >= this.nextCapMs && this.remoteSsrc !== null;
    const reportDue = nowMs >= this.nextRtcpMs;
    if (capDue || reportDue) {
      if (reportDue) this.nextRtcpMs = nowMs + this.ctx.config.rtcpIntervalMs;
      if (capDue) this.nextCapMs = nowMs + CAP_REPEAT_MS;
      this.sendRtcp(nowMs, capDue ? 'cap' : null);
    }
  }

  stats(): CallVideoStats {
    return {
      packetsReceived: this.packetsReceived,
      bytesReceived: this.bytesReceived,
      packetsRelayed: this.packetsRelayed,
      packetsSent: this.packetsSent,
      bytesSent: this.bytesSent,
      forwardedBps: this.forwardedBps,
      receivedBps: this.receivedBps,
      capBps: this.session?.capBps ?? 0,
      overCap: this.overCap,
      keyframeRequestsToCaller: { ...this.toCaller },
      keyframeRequestsFromCaller: { ...this.fromCaller },
      capMessagesSent: { ...this.capSent },
      nacksToCaller: this.nacksToCaller,
      switches: this.switches,
      currentStreamId: this.switched?.currentSourceId ?? null,
      lastPacketAgoMs: this.lastPacketMs === null ? null : Math.round(this.now() - this.lastPacketMs),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.room = null;
    this.ingressTarget = null;
    this.ctx.allocator.release(this.ingressSocket);
    this.ingressSocket = null;
    this.ctx.allocator.release(this.rtpSocket);
    this.ctx.allocator.release(this.rtcpSocket);
  }

  // ---- receive: caller → us ----

  private sends(): boolean {
    const d = this.session?.direction;
    return d === 'sendrecv' || d === 'sendonly';
  }

  private receives(): boolean {
    const d = this.session?.direction;
    return d === 'sendrecv' || d === 'recvonly';
  }

  private drop(): void {
    this.ctx.counters.droppedPackets++;
  }

  private onRtp(msg: Uint8Array, rinfo: dgram.RemoteInfo): void {
    const session = this.session!;
    if (msg.length < 12 || msg[0]! >> 6 !== 2) return this.drop();
    if ((msg[1]! & 0x7f) !== session.codec.payloadType) return this.drop();
    if (this.latched && !sameAddress(this.rtpDest, rinfo)) return this.drop();
    const packet = clearRtp(this.srtp, msg, this.ctx.counters);
    if (!packet) return;
    const len = packet.length;
    if (rtpPayloadLength(packet, len) < 0) return this.drop();
    const nowMs = this.now();
    if (session.symmetric && !this.latched) {
      this.latched = true;
      this.rtpDest = { ip: rinfo.address, port: rinfo.port };
      if (!this.rtcpLatched) this.rtcpDest = { ip: rinfo.address, port: session.rtcpMux ? rinfo.port : rinfo.port + 1 };
      this.ctx.emit(this.callId, { name: 'videoLatched', role: this.role, address: { ip: rinfo.address, port: rinfo.port } });
    }
    this.lastPacketMs = nowMs;
    this.packetsReceived++;
    this.bytesReceived += len;
    this.windowReceivedBytes += len;
    const ssrc = ((packet[8]! << 24) | (packet[9]! << 16) | (packet[10]! << 8) | packet[11]!) >>> 0;
    if (this.remoteSsrc !== ssrc || !this.reception) {
      this.remoteSsrc = ssrc;
      this.reception = new ReceptionStats(90_000);
      // A new sender SSRC: it has not heard our cap yet.
      if (session.capBps > 0) this.nextCapMs = nowMs;
    }
    const seq = (packet[2]! << 8) | packet[3]!;
    const ts = ((packet[4]! << 24) | (packet[5]! << 16) | (packet[6]! << 8) | packet[7]!) >>> 0;
    this.reception.onPacket(seq, ts, nowMs);

    const target = this.ingressTarget;
    const socket = this.ingressSocket;
    if (!target || !socket || !this.receives()) return;
    // Relay in place: the datagram (or SRTP's fresh plain copy) is ours; only PT and SSRC change.
    packet[1] = (packet[1]! & 0x80) | target.payloadType;
    const t = target.ssrc;
    packet[8] = (t >>> 24) & 0xff;
    packet[9] = (t >>> 16) & 0xff;
    packet[10] = (t >>> 8) & 0xff;
    packet[11] = t & 0xff;
    socket.send(packet);
    this.packetsRelayed++;
    this.ctx.videoCounters.ingressPackets++;
  }

  private onRtcp(msg: Uint8Array, rinfo: dgram.RemoteInfo): void {
    const session = this.session!;
    const packet = clearRtcp(this.srtp, msg, this.ctx.counters);
    if (!packet) return;
    const reports = parseRtcp(packet);
    if (!reports) return this.drop();
    const nowMs = this.now();
    this.lastPacketMs = nowMs;
    if (session.symmetric && !this.rtcpLatched) {
      this.rtcpLatched = true;
      this.rtcpDest = { ip: rinfo.address, port: rinfo.port };
    }
    for (const r of reports) {
      if (r.type === 'sr' && this.reception && r.ssrc === this.remoteSsrc) this.reception.onSenderReport(r.ntpMiddle32, nowMs);
    }
    // The caller lost pictures of what we send it: a keyframe from the stream it is shown.
    const method = keyframeRequestFor(packet, this.ssrc);
    if (method) {
      this.fromCaller[method]++;
      this.switched?.endpointKeyframeRequest(Math.round(nowMs));
    }
  }

  /** RTCP from the SFU about the caller's stream (which it knows as target.ssrc). */
  private onSfuRtcp(msg: Uint8Array): void {
    const target = this.ingressTarget;
    if (this.closed || !target || !isRtcp(msg)) return this.drop();
    const method = keyframeRequestFor(msg, target.ssrc);
    if (method) this.requestKeyframeFromCaller(method);
    if (this.session?.feedback.nack) this.relayNacks(msg, target.ssrc);
  }

  /**
   * Generic NACKs (RFC 4585 §6.2.1) from the SFU for the caller's stream: the relay keeps the
   * caller's sequence numbers, so the FCIs go to the caller as they are, for its SSRC.
   */
  private relayNacks(msg: Uint8Array, targetSsrc: number): void {
    const media = this.remoteSsrc;
    if (media === null || msg.length % 4 !== 0) return;
    let at = 0;
    while (at + 4 <= msg.length) {
      const b0 = msg[at]!;
      if (b0 >> 6 !== 2) return;
      const bytes = (((msg[at + 2]! << 8) | msg[at + 3]!) + 1) * 4;
      if (at + bytes > msg.length) return;
      if (msg[at + 1] === RTCP_RTPFB && (b0 & 0x1f) === RTPFB_FMT_NACK && bytes >= 16) {
        const ssrc = ((msg[at + 8]! << 24) | (msg[at + 9]! << 16) | (msg[at + 10]! << 8) | msg[at + 11]!) >>> 0;
        if (ssrc === targetSsrc >>> 0) {
          const fci = msg.subarray(at + 12, at + 12 + Math.min(bytes - 12, MAX_NACK_FCI * 4));
          this.nacksToCaller++;
          this.sendRtcp(this.now(), 'nack', fci);
        }
      }
      at += bytes;
    }
  }

  private requestKeyframeFromCaller(asked: 'pli' | 'fir'): void {
    const session = this.session;
    if (!session) return;
    const nowMs = this.now();
    const fb = session.feedback;
    if ((fb.pli || fb.fir) && this.remoteSsrc !== null && this.rtcpDest) {
      if (nowMs - this.lastRelayMs < KEYFRAME_RELAY_MIN_MS) return;
      this.lastRelayMs = nowMs;
      // The SFU's method if the caller negotiated it, else the one it did.
      const method = asked === 'fir' ? (fb.fir ? 'fir' : 'pli') : fb.pli ? 'pli' : 'fir';
      this.toCaller[method]++;
      this.sendRtcp(nowMs, method);
      return;
    }
    if (fb.pli || fb.fir) return; // nobody to ask yet (no RTP from the caller)
    if (nowMs - this.lastKeyframeEventMs < KEYFRAME_EVENT_MIN_MS) return;
    this.lastKeyframeEventMs = nowMs;
    this.toCaller.event++;
    this.ctx.emit(this.callId, { name: 'keyframeNeeded', role: this.role });
  }

  // ---- send: us → caller ----

  /** The egress stream's rewritten packet (a buffer of our own, safe to keep until it is sent). */
  private sendEgress(packet: Uint8Array, length: number): void {
    const dest = this.rtpDest;
    if (this.closed || !dest || !this.sends()) return;
    if (this.srtp) this.rtpSocket.send(this.srtp.protectRtp(packet.subarray(0, length)), dest.port, dest.ip);
    else this.rtpSocket.send(packet, 0, length, dest.port, dest.ip);
    this.packetsSent++;
    this.bytesSent += length;
    this.windowSentBytes += length;
    this.ctx.videoCounters.egressPackets++;
  }

  /** A compound RTCP: SR (or RR) + SDES, then the feedback asked for (PLI/FIR to the caller, or the cap). */
  private sendRtcp(nowMs: number, extra: 'pli' | 'fir' | 'cap' | 'nack' | null, nackFci?: Uint8Array): void {
    const dest = this.rtcpDest;
    const session = this.session;
    if (!dest || !session) return;
    const out = Buffer.allocUnsafe(RTCP_BYTES);
    const blocks: ReportBlock[] = this.reception && this.remoteSsrc !== null ? [this.reception.reportBlock(this.remoteSsrc, nowMs)] : [];
    const info = this.switched?.senderInfo(Math.round(nowMs)) ?? null;
    let len = info
      ? buildSenderReport(out, { ssrc: this.ssrc, ntpTimeMs: Date.now(), rtpTimestamp: info.rtpTimestamp, packetCount: info.packetCount, octetCount: info.octetCount, reports: blocks, cname: CNAME })
      : buildReceiverReport(out, { ssrc: this.ssrc, reports: blocks, cname: CNAME });
    const media = this.remoteSsrc;
    if (media !== null) {
      if (extra === 'nack' && nackFci) {
        const bytes = 12 + nackFci.length;
        out[len] = 0x80 | RTPFB_FMT_NACK;
        out[len + 1] = RTCP_RTPFB;
        out.writeUInt16BE(bytes / 4 - 1, len + 2);
        out.writeUInt32BE(this.ssrc, len + 4);
        out.writeUInt32BE(media, len + 8);
        out.set(nackFci, len + 12);
        len += bytes;
      } else if (extra === 'pli') len += buildPli(out.subarray(len), this.ssrc, media);
      else if (extra === 'fir') len += buildFir(out.subarray(len), this.ssrc, media, (this.firSequence = (this.firSequence + 1) & 0xff));
      else if (extra === 'cap' && session.capBps > 0) {
        const overhead = (dest.ip.includes(':') ? IPV6_UDP_RTP_BYTES : IPV4_UDP_RTP_BYTES) + (session.srtp ? (session.srtp.suite.endsWith('_32') ? 4 : 10) : 0);
        len += buildTmmbr(out.subarray(len), this.ssrc, media, session.capBps, overhead);
        this.capSent.tmmbr++;
        if (session.feedback.remb) {
          len += buildRemb(out.subarray(len), this.ssrc, media, session.capBps);
          this.capSent.remb++;
        }
      }
    }
    let packet: Uint8Array = out.subarray(0, len);
    if (this.srtp) packet = this.srtp.protectRtcp(packet);
    (session.rtcpMux ? this.rtpSocket : this.rtcpSocket).send(packet, dest.port, dest.ip);
  }
}
