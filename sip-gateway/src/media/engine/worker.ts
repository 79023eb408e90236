/**
 * Entry point of a media worker thread: a WorkerHost wired to the parent's message port.
 * Commands come in as { id, command }, exactly one reply goes back per id; call events and
 * periodic counters go back unasked.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RoomMixer } from '../mixer/index.js';
import type { RequestMessage, WorkerInit, WorkerMessage } from './protocol.js';
import { setCurrentThreadNice } from './thread-priority.js';
import { WorkerHost } from './worker-host.js';

const port = parentPort;
if (!port) throw new Error('media engine worker.ts must run in a worker thread');
const init = workerData as WorkerInit & { workerCount: number };
const post = (m: WorkerMessage): void => port.postMessage(m);

// Before any media: the mixer's tick should not wait behind other work on the host.
const priority = setCurrentThreadNice(init.config.threadNice);
if (priority.applied) post({ kind: 'log', level: 'info', msg: 'media thread priority set', fields: { nice: priority.nice ?? 'unknown' } });
else
  post({
    kind: 'log',
    level: 'warn',
    msg: 'media thread keeps its priority: mixer ticks may be late when the host is busy (grant CAP_SYS_NICE or set sip.media.threadNice: 0)',
    fields: { wanted: init.config.threadNice, nice: priority.nice ?? 'unknown', reason: priority.reason ?? 'unknown' },
  });

const host = new WorkerHost({
  workerIndex: init.workerIndex,
  workerCount: init.workerCount,
  config: init.config,
  prompts: init.prompts,
  // reuseFrames: RoomHost sends every tick's output within the tick (the payloads are copied into packets).
  createMixer: (opts) => new RoomMixer({ maxSpeakers: opts.maxSpeakers, jitter: { minDelayMs: opts.jitter.minMs, maxDelayMs: opts.jitter.maxMs }, reuseFrames: true }),
  emit: (callId, event) => post({ kind: 'callEvent', callId, event }),
  log: (level, msg, fields) => post({ kind: 'log', level, msg, fields }),
});

port.on('message', (msg: RequestMessage) => {
  host.handle(msg.command).then(
    (value) => post({ kind: 'reply', id: msg.id, ok: true, value }),
    (err: unknown) => {
      const e = err as { code?: unknown; message?: unknown };
      post({ kind: 'reply', id: msg.id, ok: false, error: { code: typeof e.code === 'string' ? e.code : 'internal', message: String(e.message ?? err) } });
    },
  );
});

const timer = setInterval(() => post({ kind: 'counters', counters: host.counters() }), init.countersIntervalMs);
timer.unref();
post({ kind: 'ready' });
