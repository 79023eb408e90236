/**
 * The message protocol between the main-thread proxies and a media worker. Commands carry a
 * request id and get exactly one reply; events and counters flow back unasked. Everything here
 * must survive structured clone (no functions, no class instances).
 */
import type { DtmfKeyEvent } from '../dtmf/index.js';
import type { PromptRate } from '../prompts/index.js';
import type { MediaEngineConfig } from './config.js';
import type { CallAudioSession, CallMediaStats, PromptId, RoomSendTarget, TapSource } from './types.js';

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
  | { kind: 'log'; level: 'warn' | 'error'; msg: string; fields: Record<string, string | number> };

export type CallEventMessage =
  | { name: 'dtmf'; dtmf: DtmfKeyEvent }
  | { name: 'inactive'; silentForMs: number }
  | { name: 'remoteLatched'; address: { ip: string; port: number } };

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
  /** Time this worker's event loop spent busy (performance.eventLoopUtilization), ms since start. */
  busyMs: number;
  /** CPU time of this worker's thread (Linux /proc/thread-self/stat), ms; null where unavailable. */
  threadCpuMs: number | null;
}
