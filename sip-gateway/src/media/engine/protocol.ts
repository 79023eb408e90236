/**
 * The message protocol between the main-thread proxies and a media worker. Commands carry a
 * request id and get exactly one reply; events and counters flow back unasked. Everything here
 * must survive structured clone (no functions, no class instances).
 */
import type { DtmfKeyEvent } from '../dtmf/index.js';
import type { PromptRate } from '../prompts/index.js';
import type { MediaEngineConfig } from './config.js';
import type {
  CallAudioSession,
  CallMediaStats,
  CallVideoSession,
  CallVideoStats,
  PromptId,
  RoomSendTarget,
  RoomVideoStream,
  TapSource,
  VideoRole,
  VideoSendTarget,
} from './types.js';

/** PCM prompts shipped to a worker when the caller gave a PromptPcmSource instead of a directory. */
export interface PromptPcmEntry {
  id: PromptId;
  rate: PromptRate;
  pcm: Int16Array;
}

export interface WorkerInit {
  workerIndex: number;
  config: MediaEngineConfig;
  prompts: PromptPcmEntry[];
  /** How often the worker pushes its counters (ms). */
  countersIntervalMs: number;
}

export type Command =
  | { op: 'openCall'; callId: string }
  | { op: 'configure'; callId: string; session: CallAudioSession }
  | { op: 'play'; callId: string; prompt: PromptId; loop: boolean }
  | { op: 'stopPlayback'; callId: string }
  | { op: 'setInbandDtmf'; callId: string; enabled: boolean }
  | { op: 'joinRoom'; callId: string; meetingId: string; target: RoomSendTarget; participantId: string }
  | { op: 'leaveRoom'; callId: string }
  | { op: 'setMuted'; callId: string; muted: boolean }
  | { op: 'callStats'; callId: string }
  | { op: 'closeCall'; callId: string }
  | { op: 'openRoom'; meetingId: string }
  | { op: 'setTapRemote'; meetingId: string; remote: { ip: string; port: number } }
  | { op: 'addTapSource'; meetingId: string; source: TapSource }
  | { op: 'removeTapSource'; meetingId: string; producerId: string }
  | { op: 'setTapSourcePaused'; meetingId: string; producerId: string; paused: boolean }
  | { op: 'releaseRoom'; meetingId: string }
  | { op: 'openVideo'; callId: string; role: VideoRole }
  | { op: 'configureVideo'; callId: string; role: VideoRole; session: CallVideoSession }
  | { op: 'setVideoIngress'; callId: string; role: VideoRole; target: VideoSendTarget | null }
  | { op: 'requestKeyFrameForCaller'; callId: string; role: VideoRole }
  | { op: 'closeVideo'; callId: string; role: VideoRole }
  | { op: 'videoStats'; callId: string; role: VideoRole }
  | { op: 'joinRoomVideo'; callId: string; meetingId: string }
  | { op: 'leaveRoomVideo'; callId: string }
  | { op: 'openRoomVideo'; meetingId: string }
  | { op: 'setVideoTapRemote'; meetingId: string; remote: { ip: string; port: number } }
  | { op: 'addVideoStream'; meetingId: string; stream: RoomVideoStream }
  | { op: 'removeVideoStream'; meetingId: string; streamId: string }
  | { op: 'selectVideo'; meetingId: string; callId: string; role: VideoRole; streamId: string | null }
  | { op: 'releaseRoomVideo'; meetingId: string }
  | { op: 'workerStats' };

export type CommandOp = Command['op'];

/** What each command replies with. */
export interface ReplyValues {
  openCall: { rtpPort: number; rtcpPort: number };
  configure: null;
  play: 'done' | 'stopped';
  stopPlayback: null;
  setInbandDtmf: null;
  joinRoom: null;
  leaveRoom: null;
  setMuted: null;
  callStats: CallMediaStats;
  closeCall: null;
  openRoom: { tapPort: number };
  setTapRemote: null;
  addTapSource: null;
  removeTapSource: null;
  setTapSourcePaused: null;
  releaseRoom: null;
  openVideo: { rtpPort: number; rtcpPort: number };
  configureVideo: null;
  setVideoIngress: null;
  requestKeyFrameForCaller: null;
  closeVideo: null;
  videoStats: CallVideoStats;
  joinRoomVideo: null;
  leaveRoomVideo: null;
  openRoomVideo: { tapPort: number };
  setVideoTapRemote: null;
  addVideoStream: null;
  removeVideoStream: null;
  selectVideo: null;
  releaseRoomVideo: null;
  workerStats: WorkerCounters;
}

export interface RequestMessage {
  id: number;
  command: Command;
}

export type WorkerMessage =
  | { kind: 'ready' }
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: { code: string; message: string } }
  | { kind: 'callEvent'; callId: string; event: CallEventMessage }
  | { kind: 'counters'; counters: WorkerCounters }
  /** Worker threads have no logger of their own: what they have to say goes to the engine's. */
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; msg: string; fields: Record<string, string | number> };

export type CallEventMessage =
  | { name: 'dtmf'; dtmf: DtmfKeyEvent }
  | { name: 'inactive'; silentForMs: number }
  | { name: 'remoteLatched'; address: { ip: string; port: number } }
  | { name: 'keyframeNeeded'; role: VideoRole }
  | { name: 'videoSwitched'; role: VideoRole; streamId: string; waitedMs: number }
  | { name: 'videoLatched'; role: VideoRole; address: { ip: string; port: number } };

/** A worker's counters: gauges are current values, `*Total` are cumulative since the worker started. */
export interface WorkerCounters {
  calls: number;
  rooms: number;
  legs: number;
  ticks: number;
  deadlineMissesTotal: number;
  /** Of them, misses after at least a frame of the worker's own work (the rest: woken late by the OS). */
  busyDeadlineMissesTotal: number;
  /** Ticks whose own work took longer than a frame. */
  tickOverrunsTotal: number;
  /** Sum of the ticks' durations, ms. */
  tickWorkMsTotal: number;
  jitterLateTotal: number;
  jitterLostTotal: number;
  dtmfTotal: { rfc4733: number; inband: number };
  srtpFailuresTotal: Record<string, number>;
  droppedPacketsTotal: number;
  /** What carries the calls' audio sockets on this worker (config `udpIo` resolved). */
  udpIo: 'native' | 'dgram';
  /** Datagrams the kernel refused to send on native sockets (full buffer, ICMP-refused peer). */
  udpSendErrorsTotal: number;
  /** Video legs (caller-facing video m-lines) and meetings with a video fan-out on this worker. */
  videoLegs: number;
  videoRooms: number;
  /** Cumulative video RTP packets relayed caller → SFU and forwarded room → caller. */
  videoIngressPacketsTotal: number;
  videoEgressPacketsTotal: number;
  /** Cumulative RTCP PLIs sent to the SFU's video tap (a switch asking the new source for a keyframe, or a caller's request passed on). */
  videoKeyframeRequestsToRoomTotal: number;
  /** Time this worker's event loop spent busy (performance.eventLoopUtilization), ms since start. */
  busyMs: number;
  /** CPU time of this worker's thread (Linux /proc/thread-self/stat), ms; null where unavailable. */
  threadCpuMs: number | null;
}
