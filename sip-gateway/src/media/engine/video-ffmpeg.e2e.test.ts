/**
 * The meeting's video through the engine to a room system that is Debian's ffmpeg, over SRTP keyed
 * as our SDP would key it: two ffmpeg H.264 cameras (testsrc, smptebars) play the VideoTap into a
 * RoomVideo; one call with SDES-SRTP selects A, B, A; ffmpeg (its own SRTP, from an SDP with our
 * a=crypto) decodes what the call sends. It must decode cleanly, and show A, then B, then A.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encoderArgs, freePortPair, startFfmpeg, waitUntilBound } from '../video/testing/ffmpeg-rtp.js';
import { framesOf, labelFrames, rawFramesOutput, referencePatterns, runsOf } from '../video/testing/pattern-frames.js';
import { createMediaEngine, type WorkerMediaEngine } from './engine.js';
import { sleep } from './testing/video-peer.js';

const children: ChildProcess[] = [];
let engine: WorkerMediaEngine;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'convene-engvideo-'));
  engine = await createMediaEngine({ workers: 1, rtpMinPort: 37200, rtpMaxPort: 37399 }, { logger: pino({ level: 'silent' }), prompts: { get: () => new Int16Array(160) } });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('engine video to an ffmpeg room system over SRTP', () => {
  it('A, B, A selected: ffmpeg decrypts and decodes one clean stream showing A, then B, then A', async () => {
    const SECONDS = 9;
    const [refA, refB] = await referencePatterns(dir, SECONDS + 1, children);

    const ourKey = randomBytes(30).toString('base64');
    const port = await freePortPair();
    writeFileSync(
      join(dir, 'room-system.sdp'),
      [
        'v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=room system', 'c=IN IP4 127.0.0.1', 't=0 0',
        `m=video ${port} RTP/SAVP 109`, 'a=rtpmap:109 H264/90000', 'a=fmtp:109 packetization-mode=1',
        `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${ourKey}`, '',
      ].join('\n'),
    );
    const decodedPath = join(dir, 'decoded.rgb');
    const decoder = startFfmpeg(
      ['-loglevel', 'info', '-protocol_whitelist', 'file,udp,rtp,srtp', '-i', join(dir, 'room-system.sdp'), '-t', '6', ...rawFramesOutput(decodedPath)],
      40_000,
      children,
    );
    await waitUntilBound(port, 15_000);

    const room = await engine.openRoomVideo('m-ffmpeg');
    await room.setTapRemote({ ip: '127.0.0.1', port: 9 }); // ffmpeg cameras ignore PLI: they key every second
    await room.addStream({ streamId: 'A', participantId: 'a', source: 'camera', ssrc: 0x70a0a0a0, payloadType: 96, codec: 'H264' });
    await room.addStream({ streamId: 'B', participantId: 'b', source: 'camera', ssrc: 0x30b0b0b0, payloadType: 97, codec: 'H264' });
    const call = await engine.openCall({ callId: 'c-ffmpeg', meetingId: 'm-ffmpeg' });
    await call.openVideo('main');
    await call.configureVideo('main', {
      codec: { name: 'H264', payloadType: 109, clockRate: 90000, fmtp: 'packetization-mode=1' },
      remote: { ip: '127.0.0.1', rtpPort: port, rtcpPort: port + 1 },
      rtcpMux: false,
      srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', localKeyBase64: ourKey, remoteKeyBase64: randomBytes(30).toString('base64') },
      direction: 'sendrecv',
      symmetric: false,
      feedback: { pli: true, fir: false, nack: false, remb: false, tmmbr: false },
      capBps: 0,
    });
    await call.joinRoomVideo(room);
    const switched: string[] = [];
    call.events.on('videoSwitched', (_r, info) => switched.push(info.streamId));
    startFfmpeg(encoderArgs({ codec: 'h264', source: 'testsrc', port: room.tapTarget.port, seconds: SECONDS, payloadType: 96, ssrc: 0x70a0a0a0 }), 30_000, children);
    startFfmpeg(encoderArgs({ codec: 'h264', source: 'smptebars', port: room.tapTarget.port, seconds: SECONDS, payloadType: 97, ssrc: 0x30b0b0b0 }), 30_000, children);
    await room.select(call.callId, 'main', 'A');
    await sleep(2500);
    await room.select(call.callId, 'main', 'B');
    await sleep(2500);
    await room.select(call.callId, 'main', 'A');
    const decoded = await decoder.done;
    expect(switched).toEqual(['A', 'B', 'A']);
    const problems = decoded.stderr.split('\n').filter((l) => !l.includes('Parsed_showinfo')).filter((l) => /error|conceal|corrupt|missed|non-existing|invalid|broken|srtp/i.test(l));
    expect(problems).toEqual([]);
    const frames = framesOf(readFileSync(decodedPath));
    expect(frames.length).toBeGreaterThan(100);
    const labels = labelFrames(frames, refA, refB);
    const runs = runsOf(labels);
    const worst = Math.max(...labels.map((l) => l.distance));
    console.log(`ffmpeg over SRTP: decoded ${frames.length} frames, runs ${runs}, worst distance ${worst.toFixed(2)}`);
    expect(runs).toBe('ABA');
    expect(worst).toBeLessThan(15);
    await call.close();
    await room.release();
  });
});
