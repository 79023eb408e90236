/**
 * One meeting's video fan-out inside a worker: the socket the SFU's VideoTap sends the selected
 * cameras/screens to (plain RTP, RTCP muxed), demultiplexed by SSRC to the video legs showing (or
 * switching to) each stream, and the keyframe requests (RTCP PLI) back to the tap. Which stream each
 * leg shows is the main thread's decision (`select`); each leg's SwitchedVideoStream executes it.
 */
import type dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { isRtcp } from '../rtp/index.js';
import { buildPli, PLI_BYTES } from '../video/index.js';
import { MediaEngineError, setReceiveBuffer } from './port-allocator.js';
import type { RoomVideoStream, VideoRole } from './types.js';
import type { VideoLeg, VideoLegRoom } from './video-leg.js';

export interface RoomVideoCounters {
  droppedPackets: number;
  /** PLIs sent to the tap (switches, retries, callers' own requests). */
  keyframeRequests: number;
}

interface StreamEntry {
  readonly stream: RoomVideoStream;
  /** Legs that have this stream as a source of their egress stream. */
  readonly watchers: Set<VideoLeg>;
  lastPliMs: number;
}

/** Every camera of the meeting arrives here in bursts (a keyframe is tens of packets): room for ~1 s of several streams. */
const TAP_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/** Several legs switching to one stream at once need one PLI, not one each. */
const PLI_DEDUPE_MS = 50;

export class RoomVideoHost implements VideoLegRoom {
  /** Holders (openRoomVideo handles) plus joined calls; closes at zero. */
  refs = 0;
  /** Calls joined to the fan-out. */
  readonly members = new Set<string>();
  private readonly streams = new Map<string, StreamEntry>();
  /** By the stream's SSRC as int32. */
  private readonly bySsrc = new Map<number, StreamEntry>();
  /** What each (call, role) was told to show, so a leg re-created or re-configured is re-selected. */
  private readonly selections = new Map<string, string | null>();
  private tapRemote: { ip: string; port: number } | null = null;
  private readonly ssrc = randomBytes(4).readUInt32BE(0);
  /** Legs wanting the packet being demultiplexed (reused: no allocation per packet). */
  private readonly fanout: VideoLeg[] = [];
  private closed = false;

  constructor(
    readonly meetingId: string,
    private readonly socket: dgram.Socket,
    private readonly counters: RoomVideoCounters,
    private readonly legFor: (callId: string, role: VideoRole) => VideoLeg | undefined,
    private readonly now: () => number,
  ) {
    socket.on('message', (msg, rinfo) => {
      try {
        // Once the tap's transport is known, nobody else may feed the meeting's video.
        if (this.tapRemote && rinfo.address !== this.tapRemote.ip) return void this.counters.droppedPackets++;
        this.onTap(msg);
      } catch {
        this.counters.droppedPackets++;
      }
    });
    socket.on('error', () => undefined);
    setReceiveBuffer(socket, TAP_RECEIVE_BUFFER_BYTES);
  }

  /** The tap socket, for the worker's allocator to close and free once the fan-out is closed. */
  get socketToRelease(): dgram.Socket {
    return this.socket;
  }

  get tapPort(): number {
    return this.socket.address().port;
  }

  setTapRemote(remote: { ip: string; port: number }): void {
    this.tapRemote = { ...remote };
  }

  addStream(stream: RoomVideoStream): void {
    if (stream.codec !== 'H264' && stream.codec !== 'VP8') throw new MediaEngineError('codec_unsupported', `stream codec ${String(stream.codec)}`);
    if (!Number.isInteger(stream.payloadType) || stream.payloadType < 0 || stream.payloadType > 127) {
      throw new MediaEngineError('bad_command', `stream payload type ${stream.payloadType} is not 0–127`);
    }
    const existing = this.streams.get(stream.streamId);
    if (existing && existing.stream.ssrc === stream.ssrc && existing.stream.payloadType === stream.payloadType) return;
    if (existing) this.removeStream(stream.streamId);
    const other = this.bySsrc.get(stream.ssrc | 0);
    if (other) throw new MediaEngineError('bad_command', `SSRC ${stream.ssrc} is already stream ${other.stream.streamId}`);
    const entry: StreamEntry = { stream: { ...stream }, watchers: new Set(), lastPliMs: -Infinity };
    this.streams.set(stream.streamId, entry);
    this.bySsrc.set(stream.ssrc | 0, entry);
  }

  /** The stream is gone: legs showing it pause (until their next select), a pending switch to it is cancelled. */
  removeStream(streamId: string): void {
    const entry = this.streams.get(streamId);
    if (!entry) return;
    const nowMs = Math.round(this.now());
    for (const leg of entry.watchers) leg.removeSource(streamId, nowMs);
    this.streams.delete(streamId);
    this.bySsrc.delete(entry.stream.ssrc | 0);
    for (const [key, id] of this.selections) if (id === streamId) this.selections.set(key, null);
  }

  join(callId: string): void {
    this.members.add(callId);
    for (const role of ['main', 'slides'] as const) {
      const leg = this.legFor(callId, role);
      if (leg) this.attach(leg);
    }
  }

  /** A video leg of a member (opened before or after the join) takes part. */
  attach(leg: VideoLeg): void {
    if (!this.members.has(leg.callId)) return;
    leg.room = this;
    leg.onSwitchedReset = () => this.reselect(leg);
  }

  leave(callId: string): void {
    if (!this.members.delete(callId)) return;
    for (const role of ['main', 'slides'] as const) {
      this.selections.delete(`${callId}/${role}`);
      const leg = this.legFor(callId, role);
      if (leg) this.detach(leg);
    }
  }

  /** The leg stops taking part (closed, or its call left): nothing more is sent to it. */
  detach(leg: VideoLeg): void {
    for (const entry of this.streams.values()) entry.watchers.delete(leg);
    if (leg.room === this) {
      leg.clearSources(Math.round(this.now()));
      leg.room = null;
      leg.onSwitchedReset = null;
    }
  }

  select(callId: string, role: VideoRole, streamId: string | null): void {
    if (!this.members.has(callId)) throw new MediaEngineError('bad_command', `call ${callId} has not joined the video of meeting ${this.meetingId}`);
    const leg = this.legFor(callId, role);
    if (!leg) throw new MediaEngineError('bad_command', `call ${callId} has no open ${role} video`);
    if (!leg.switched) throw new MediaEngineError('not_configured', `configureVideo() call ${callId} ${role} before selecting`);
    const nowMs = Math.round(this.now());
    if (streamId === null) {
      leg.switched.select(null, nowMs);
      this.selections.set(`${callId}/${role}`, null);
      return;
    }
    const entry = this.streams.get(streamId);
    if (!entry) throw new MediaEngineError('bad_command', `no video stream ${streamId} in meeting ${this.meetingId}`);
    this.attach(leg);
    leg.addSource(streamId, entry.stream.ssrc, entry.stream.payloadType, entry.stream.codec);
    entry.watchers.add(leg);
    leg.switched.select(streamId, nowMs);
    this.selections.set(`${callId}/${role}`, streamId);
  }

  /** The leg's egress stream was re-created (new codec/PT): show again what it was told to show. */
  private reselect(leg: VideoLeg): void {
    for (const entry of this.streams.values()) entry.watchers.delete(leg);
    const id = this.selections.get(`${leg.callId}/${leg.role}`);
    if (!id) return;
    try {
      this.select(leg.callId, leg.role, id);
    } catch {
      // The new codec does not match the stream: the main thread will pick another.
      this.selections.set(`${leg.callId}/${leg.role}`, null);
    }
  }

  /** A leg's switch or its caller wants a keyframe of `ssrc`: RTCP PLI to the tap (mediasoup relays it to the publisher). */
  requestKeyframe(streamId: string, ssrc: number, nowMs: number): void {
    const entry = this.streams.get(streamId);
    const remote = this.tapRemote;
    if (!entry || !remote || this.closed) return;
    if (nowMs - entry.lastPliMs < PLI_DEDUPE_MS) return;
    entry.lastPliMs = nowMs;
    const out = Buffer.allocUnsafe(PLI_BYTES);
    buildPli(out, this.ssrc, ssrc);
    this.socket.send(out, remote.port, remote.ip);
    this.counters.keyframeRequests++;
  }

  private onTap(msg: Buffer): void {
    if (this.closed) return;
    // The tap's own RTCP (SRs of its consumers): nothing we need from it.
    if (msg.length < 12 || isRtcp(msg)) return;
    const ssrc = (msg[8]! << 24) | (msg[9]! << 16) | (msg[10]! << 8) | msg[11]!;
    const entry = this.bySsrc.get(ssrc);
    if (!entry) return void this.counters.droppedPackets++;
    const id = entry.stream.streamId;
    const fanout = this.fanout;
    fanout.length = 0;
    for (const leg of entry.watchers) if (leg.wants(id)) fanout.push(leg);
    const n = fanout.length;
    if (n === 0) return;
    const nowMs = Math.round(this.now());
    // Each leg rewrites its own copy in place; the last one takes the datagram itself.
    for (let i = 0; i < n - 1; i++) {
      const copy = Buffer.allocUnsafe(msg.length);
      msg.copy(copy);
      fanout[i]!.handleTapPacket(copy, nowMs);
    }
    fanout[n - 1]!.handleTapPacket(msg, nowMs);
    fanout.length = 0;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const callId of [...this.members]) this.leave(callId);
  }
}
