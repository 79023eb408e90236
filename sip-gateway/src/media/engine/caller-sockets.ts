/**
 * What an audio leg (CallLeg) and a video leg (VideoLeg) do alike with their sockets: the
 * caller-facing RTP/RTCP pair's demux (RTCP on the RTP socket when muxed) with bad input counted
 * as a drop, SRTP failures counted by kind, the SDP's addresses and when a latch is forgotten, and
 * connecting the SFU-facing socket. How each leg latches and what it does with a packet stay its own.
 */
import type dgram from 'node:dgram';
import { isRtcp } from '../rtp/index.js';
import type { UdpSocketLike } from '../udp-io/index.js';
import type { SrtpFailureKind, SrtpSession } from './srtp-session.js';

/** Worker-wide packet counters both kinds of leg add to. */
export interface LegCounters {
  dtmf: { rfc4733: number; inband: number };
  srtpFailures: Record<string, number>;
  droppedPackets: number;
}

export interface Address {
  ip: string;
  port: number;
}

/** The part of an audio or video session that says where the caller is. */
export interface CallerAddressing {
  readonly remote: { ip: string; rtpPort: number; rtcpPort: number } | null;
  readonly rtcpMux: boolean;
  readonly symmetric: boolean;
}

/** A leg's receive side as the socket listeners see it. */
export interface CallerPacketReceiver {
  /** The session while the leg takes packets (configured, not closed); null drops everything. */
  receiving(): { readonly rtcpMux: boolean } | null;
  /** `arrivalMs`: the kernel's receive time when the socket knows it (native sockets), else absent. */
  rtp(msg: Buffer, rinfo: dgram.RemoteInfo, arrivalMs?: number): void;
  rtcp(msg: Buffer, rinfo: dgram.RemoteInfo, arrivalMs?: number): void;
}

/** Wires the caller-facing pair to `leg`; bad input never escapes a handler (inline try: no closure per packet). */
export function listenToCaller(rtpSocket: UdpSocketLike, rtcpSocket: UdpSocketLike, counters: LegCounters, leg: CallerPacketReceiver): void {
  rtpSocket.on('message', (msg, rinfo, arrivalMs) => {
    try {
      const session = leg.receiving();
      if (!session) counters.droppedPackets++;
      else if (session.rtcpMux && isRtcp(msg)) leg.rtcp(msg, rinfo, arrivalMs);
      else leg.rtp(msg, rinfo, arrivalMs);
    } catch {
      counters.droppedPackets++;
    }
  });
  rtcpSocket.on('message', (msg, rinfo, arrivalMs) => {
    try {
      if (!leg.receiving() || !isRtcp(msg)) counters.droppedPackets++;
      else leg.rtcp(msg, rinfo, arrivalMs);
    } catch {
      counters.droppedPackets++;
    }
  });
  // A send to an unreachable port surfaces as an 'error' (ICMP); it must not kill the worker.
  rtpSocket.on('error', () => undefined);
  rtcpSocket.on('error', () => undefined);
}

/** The caller's RTP in the clear: unprotected when the leg is keyed; null (the failure counted by kind, a drop) when that fails. */
export function clearRtp(srtp: SrtpSession | null, msg: Uint8Array, counters: LegCounters): Uint8Array | null {
  if (!srtp) return msg;
  const plain = srtp.unprotectRtp(msg);
  return typeof plain === 'string' ? countSrtpFailure(counters, plain, false) : plain;
}

/** The caller's RTCP in the clear, as clearRtp (failures counted as `rtcp_<kind>`). */
export function clearRtcp(srtp: SrtpSession | null, msg: Uint8Array, counters: LegCounters): Uint8Array | null {
  if (!srtp) return msg;
  const plain = srtp.unprotectRtcp(msg);
  return typeof plain === 'string' ? countSrtpFailure(counters, plain, true) : plain;
}

function countSrtpFailure(counters: LegCounters, kind: SrtpFailureKind, rtcp: boolean): null {
  const key = rtcp ? `rtcp_${kind}` : kind;
  counters.srtpFailures[key] = (counters.srtpFailures[key] ?? 0) + 1;
  counters.droppedPackets++;
  return null;
}

export function sameAddress(a: Address | null, rinfo: dgram.RemoteInfo): boolean {
  return a !== null && a.ip === rinfo.address && a.port === rinfo.port;
}

/** Whether a re-configure forgets the latched address: a new (or no) SDP remote, or latching off. */
export function relatchNeeded(prev: CallerAddressing | null, session: CallerAddressing): boolean {
  const remote = session.remote;
  const remoteChanged = !prev?.remote || !remote || prev.remote.ip !== remote.ip || prev.remote.rtpPort !== remote.rtpPort;
  return remoteChanged || !session.symmetric;
}

/** Where RTP and RTCP go by the SDP, before any latching. */
export function sdpDestinations(session: CallerAddressing): { rtp: Address | null; rtcp: Address | null } {
  const remote = session.remote;
  if (!remote) return { rtp: null, rtcp: null };
  return { rtp: { ip: remote.ip, port: remote.rtpPort }, rtcp: { ip: remote.ip, port: session.rtcpMux ? remote.rtpPort : remote.rtcpPort } };
}

/** Connects an SFU-facing socket to `target` (a connected socket sends without a per-packet address lookup), unless it already is. */
export async function connectTo(socket: UdpSocketLike, target: Address): Promise<void> {
  let connected: { address: string; port: number } | null = null;
  try {
    connected = socket.remoteAddress();
  } catch {
    connected = null;
  }
  if (connected && connected.port === target.port && connected.address === target.ip) return;
  if (connected) socket.disconnect();
  await new Promise<void>((resolve, reject) => socket.connect(target.port, target.ip, (err?: Error) => (err ? reject(err) : resolve())));
}
