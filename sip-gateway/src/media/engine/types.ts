/**
 * The gateway's media engine as the call layer (sip-gateway/src/calls) sees it. The engine owns
 * every audio packet of a SIP call: the caller-facing RTP/RTCP socket (symmetric RTP, SDES-SRTP,
 * RTCP reports), DTMF detection (RFC 4733 and in-band), prompt playback, the inactivity timeout,
 * and — once the caller is in a meeting — the room mixer (mix-minus to the caller, the caller's
 * audio back to the SFU as Opus with the audio-level extension). All of it runs in worker threads
 * (a pool sized by cores; a room and all of its calls live on one worker), never on the signalling
 * event loop. Main-thread objects are thin proxies that post commands and re-emit events.
 */
import type { Emitter } from '../../../../common/src/index.js';
import type { DtmfKeyEvent } from '../dtmf/index.js';
import type { AudioCodecSpec } from '../mixer/types.js';

export type { AudioCodecSpec, AudioCodecName } from '../mixer/types.js';

/** Prompts of the IVR catalogue (sip-gateway/src/media/prompts). */
export type PromptId =
  | 'welcome'
  | 'enter_host_pin'
  | 'enter_pin_or_guest'
  | 'wrong_pin'
  | 'waiting_for_host'
  | 'meeting_full'
  | 'meeting_locked'
  | 'licence_limit'
  | 'locked_out'
  | 'unavailable'
  | 'goodbye';

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface SrtpSessionKeys {
  suite: 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';
  /** Our master key||salt (30 bytes, base64) — what our SDP's a=crypto carries. */
  localKeyBase64: string;
  /** The caller's master key||salt (base64), from its a=crypto. */
  remoteKeyBase64: string;
}

/** The negotiated audio session of a call (from the SDP offer/answer), re-applied on every re-INVITE/UPDATE. */
export interface CallAudioSession {
  codec: AudioCodecSpec;
  /** Negotiated telephone-event payload type (8 kHz), null when none. */
  telephoneEventPayloadType: number | null;
  /** Where the caller said it receives; null while on hold with c=0.0.0.0 or before a late offer's answer. */
  remote: { ip: string; rtpPort: number; rtcpPort: number } | null;
  rtcpMux: boolean;
  srtp: SrtpSessionKeys | null;
  /** From OUR side: 'sendrecv' normally; 'recvonly' when the caller put us on hold (it sendonly), … */
  direction: MediaDirection;
  /** Latch the remote RTP address to the source of the first valid packet (callers behind NAT). */
  symmetric: boolean;
  /** Packetisation time the caller asked for (ms); 20 unless a=ptime says otherwise. */
  ptimeMs: number;
}

export interface CallMediaStats {
  packetsReceived: number;
  packetsSent: number;
  packetsLost: number;
  /** Interarrival jitter (RFC 3550), ms. */
  jitterMs: number;
  /** ms since the last RTP or RTCP packet from the caller (null: none yet). */
  lastPacketAgoMs: number | null;
}

export type CallMediaEvents = {
  /** One key press (RFC 4733 or in-band; SIP INFO digits are the call layer's). */
  dtmf: [event: DtmfKeyEvent];
  /** No RTP or RTCP from the caller for the configured time while not on hold: the call should end. */
  inactive: [silentForMs: number];
  /** Symmetric RTP latched the caller's real address. */
  remoteLatched: [address: { ip: string; port: number }];
  /** The worker hosting this call died; the call cannot continue. */
  failed: [reason: string];
  /** The SFU wants a keyframe from the caller's video and the caller negotiated neither PLI nor FIR
   *  (the call layer sends SIP INFO picture_fast_update, RFC 5168). At most once a second per role. */
  keyframeNeeded: [role: VideoRole];
  /** The newly selected stream's keyframe went out to the caller (`waitedMs` since `select()`). */
  videoSwitched: [role: VideoRole, info: { streamId: string; waitedMs: number }];
  /** Symmetric RTP latched the caller's real video address. */
  videoLatched: [role: VideoRole, address: { ip: string; port: number }];
};

/** Which video m-line: the main camera, or the content (`a=content:slides`) stream. */
export type VideoRole = 'main' | 'slides';

export interface VideoCodecSpec {
  name: 'H264' | 'VP8';
  /** The payload type the caller sends with and we accept (our SDP's number for the codec). */
  payloadType: number;
  /**
   * The payload type we send to the caller with: the number in the caller's own SDP (RFC 3264
   * §5.1/§6.1: an SDP's numbers are what its author receives). Absent: `payloadType` both ways.
   */
  sendPayloadType?: number;
  clockRate: 90000;
  fmtp: string;
}

/** The negotiated video session of one m-line (re-applied on every offer/answer). */
export interface CallVideoSession {
  /** What we send and receive on this m-line (payload type each way: see VideoCodecSpec). */
  codec: VideoCodecSpec;
  remote: { ip: string; rtpPort: number; rtcpPort: number } | null;
  rtcpMux: boolean;
  srtp: SrtpSessionKeys | null;
  direction: MediaDirection;
  symmetric: boolean;
  /** Negotiated a=rtcp-fb. */
  feedback: { pli: boolean; fir: boolean; nack: boolean; remb: boolean; tmmbr: boolean };
  /** The call's video cap in bps (tier ∧ company default ∧ SDP b=AS, minus audio): sent to the caller as
   *  TMMBR (and REMB when negotiated) so it sends no more; the forwarded stream is kept under it too. 0 = none. */
  capBps: number;
}

/** Where the caller's video enters the meeting: the SFU RTP leg's PlainTransport (plain RTP, loopback, rtcp-mux). */
export interface VideoSendTarget {
  ip: string;
  port: number;
  ssrc: number;
  payloadType: number;
}

export interface CallVideoStats {
  /** Valid RTP from the caller (after SRTP). */
  packetsReceived: number;
  bytesReceived: number;
  /** RTP relayed from the caller to the SFU target. */
  packetsRelayed: number;
  /** RTP sent to the caller (the room's selected stream). */
  packetsSent: number;
  bytesSent: number;
  /** RTP bits per second sent to the caller over the last second. */
  forwardedBps: number;
  /** RTP bits per second received from the caller over the last second. */
  receivedBps: number;
  /** The configured cap (0 = none) and whether the forwarded stream exceeded it over the last second. */
  capBps: number;
  overCap: boolean;
  /** Keyframe requests towards the caller (the SFU asked), by how they went out. */
  keyframeRequestsToCaller: { pli: number; fir: number; event: number };
  /** Keyframe requests from the caller (RTCP, or SIP INFO via requestKeyFrameForCaller). */
  keyframeRequestsFromCaller: { pli: number; fir: number; info: number };
  /** TMMBR / REMB messages sent to the caller. */
  capMessagesSent: { tmmbr: number; remb: number };
  /** The SFU's generic NACKs for the caller's stream relayed to it (when it negotiated nack). */
  nacksToCaller: number;
  /** Completed switches to a new stream, and the stream shown now (null: none). */
  switches: number;
  currentStreamId: string | null;
  /** ms since the last RTP or RTCP packet from the caller (null: none yet). */
  lastPacketAgoMs: number | null;
}

/** Where the call's audio enters the meeting: the SFU RTP leg's PlainTransport (plain RTP, loopback). */
export interface RoomSendTarget {
  ip: string;
  port: number;
  /** The Opus payload type and SSRC the leg's producer was created with. */
  payloadType: number;
  ssrc: number;
  /** RFC 6464 header extension id the producer was created with. */
  audioLevelExtensionId: number;
}

export interface CallMedia {
  readonly callId: string;
  /** The caller-facing RTP (and RTCP when not muxed) address for our SDP. */
  readonly local: { ip: string; rtpPort: number; rtcpPort: number };
  readonly events: Emitter<CallMediaEvents>;
  /** Applies (or re-applies after a re-INVITE) the negotiated session. */
  configure(session: CallAudioSession): Promise<void>;
  /** Plays a prompt to the caller (replacing what it hears until done); resolves when it ends or is stopped. */
  play(prompt: PromptId, opts?: { loop?: boolean }): Promise<'done' | 'stopped'>;
  stopPlayback(): Promise<void>;
  /** Runs the Goertzel detector on the caller's audio (for callers that negotiated no telephone-event). */
  setInbandDtmf(enabled: boolean): Promise<void>;
  /** Puts the caller's audio into the meeting and lets it hear the room's mix minus itself. */
  joinRoom(room: RoomAudio, target: RoomSendTarget, participantId: string): Promise<void>;
  leaveRoom(): Promise<void>;
  /** Host mute: the caller's audio stops reaching the room (it still hears the room). */
  setMuted(muted: boolean): Promise<void>;
  stats(): Promise<CallMediaStats>;
  /** Allocates the caller-facing video RTP/RTCP pair of one m-line (for our SDP); the same pair if already open. */
  openVideo(role: VideoRole): Promise<{ ip: string; rtpPort: number; rtcpPort: number }>;
  /** Applies (or re-applies after an offer/answer) the negotiated video session of one m-line. */
  configureVideo(role: VideoRole, session: CallVideoSession): Promise<void>;
  /** Relays the caller's video to the SFU (SSRC rewritten to target.ssrc, PT to target.payloadType); null = stop. */
  setVideoIngress(role: VideoRole, target: VideoSendTarget | null): Promise<void>;
  /** The caller asked for a refresh by SIP INFO picture_fast_update: request a keyframe from what it currently receives. */
  requestKeyFrameForCaller(role: VideoRole): Promise<void>;
  closeVideo(role: VideoRole): Promise<void>;
  videoStats(role: VideoRole): Promise<CallVideoStats>;
  /** Makes the call's video m-lines selectable in the meeting's video fan-out (RoomVideo.select). */
  joinRoomVideo(room: RoomVideo): Promise<void>;
  leaveRoomVideo(): Promise<void>;
  /** Frees the sockets (audio and video) and leaves the rooms. Idempotent. */
  close(): Promise<void>;
}

/** One SFU VideoTap stream (a mediasoup consumer on the tap transport) as the engine receives it. */
export interface RoomVideoStream {
  streamId: string;
  participantId: string;
  source: 'camera' | 'screen';
  ssrc: number;
  payloadType: number;
  codec: 'H264' | 'VP8';
}

/** A meeting's video fan-out, on the worker that hosts the meeting's calls (opened like RoomAudio). */
export interface RoomVideo {
  readonly meetingId: string;
  /** VideoTap.connect() target (plain RTP, rtcp-mux). */
  readonly tapTarget: { ip: string; port: number };
  /** VideoTap.transport: where PLI/RR go. */
  setTapRemote(remote: { ip: string; port: number }): Promise<void>;
  addStream(stream: RoomVideoStream): Promise<void>;
  removeStream(streamId: string): Promise<void>;
  /** What `callId`'s m-line `role` shows: a stream id, or null (send nothing). Switching waits for a keyframe. */
  select(callId: string, role: VideoRole, streamId: string | null): Promise<void>;
  /** Releases this holder's reference; the fan-out closes when the last holder and call are gone. */
  release(): Promise<void>;
}

/** One tapped SFU audio producer as the mixer sees it (from AudioTapApi's producerTapped). */
export interface TapSource {
  producerId: string;
  participantId: string;
  ssrc: number;
  payloadType: number;
  paused: boolean;
}

/** The room mixer of one meeting, on the worker that hosts the meeting's calls. */
export interface RoomAudio {
  readonly meetingId: string;
  /** Where the SFU's audio tap must send the room's audio (plain RTP, RTCP muxed). */
  readonly tapTarget: { ip: string; port: number };
  /** Tells the mixer where the tap's transport listens (so the mixer's RTCP has a destination). */
  setTapRemote(remote: { ip: string; port: number }): Promise<void>;
  addTapSource(source: TapSource): Promise<void>;
  removeTapSource(producerId: string): Promise<void>;
  setTapSourcePaused(producerId: string, paused: boolean): Promise<void>;
  /** Releases this holder's reference; the mixer closes when the last call leaves. */
  release(): Promise<void>;
}

export interface MediaEngineStats {
  workers: number;
  rooms: number;
  calls: number;
  /** Mixer ticks that started later than one frame after their due time, since start. */
  deadlineMisses: number;
}

export interface MediaEngine {
  /** Allocates a caller-facing socket for a new call on the worker that hosts `meetingId`. */
  openCall(opts: { callId: string; meetingId: string }): Promise<CallMedia>;
  /** The room mixer for a meeting (created on first use, reference-counted). */
  openRoom(meetingId: string): Promise<RoomAudio>;
  /** The video fan-out for a meeting (created on first use, reference-counted), on the meeting's worker. */
  openRoomVideo(meetingId: string): Promise<RoomVideo>;
  stats(): Promise<MediaEngineStats>;
  close(): Promise<void>;
}
