import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { encoderArgs, startFfmpeg } from '../../sip-gateway/src/media/video/testing/ffmpeg-rtp.js';
import { startScriptedUa, type ScriptedUa } from './scripted-sip-ua.js';
import { createCompany, createRoom, startServiceFixture, type ServiceFixture } from './service-fixture.js';

/** Where a scripted room system dials: a fresh room's user part on the node's SIP UDP port. */
export interface DialTarget {
  user: string;
  port: number;
}

/**
 * A Convene node for a test file whose room systems are scripted SIP UAs (test/support/scripted-sip-ua)
 * with ffmpeg cameras: started before the file's tests, and every UA and camera it started stopped after.
 */
export interface ScriptedVideoCalls {
  readonly f: ServiceFixture;
  /** A new room of a new company, and where to dial it. */
  newRoom(): Promise<{ room: { address: string; id: string }; target: DialTarget }>;
  dial(target: DialTarget, name: string, video: { payloadType: number } | null): Promise<ScriptedUa>;
  /** Sends an H.264 test picture (ffmpeg testsrc) to the video port of our answer to `ua`, in the payload type we answered. */
  sendCamera(ua: ScriptedUa, opts: { ssrc: number; seconds: number }): void;
}

export function useScriptedVideoCalls(): ScriptedVideoCalls {
  let fixture: ServiceFixture | undefined;
  const uas: ScriptedUa[] = [];
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    fixture = await startServiceFixture();
  }, 60_000);
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    for (const ua of uas) ua.close();
    await fixture?.stop();
  });
  const calls: ScriptedVideoCalls = {
    get f(): ServiceFixture {
      if (!fixture) throw new Error('the service fixture starts in beforeAll');
      return fixture;
    },
    async newRoom() {
      const f = calls.f;
      const room = await createRoom(f, await createCompany(f));
      return { room, target: { user: room.address.split('@')[0]!, port: f.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port } };
    },
    async dial(target, name, video) {
      const ua = await startScriptedUa({ ...target, name, video });
      uas.push(ua);
      return ua;
    },
    sendCamera(ua, { ssrc, seconds }) {
      const video = ua.answer.media.find((m) => m.type === 'video');
      if (!video || video.port === 0) throw new Error(`our answer has no video line to send to`);
      startFfmpeg(encoderArgs({ codec: 'h264', source: 'testsrc', port: video.port, seconds, payloadType: video.rtp[0]!.payload, ssrc }), (seconds + 10) * 1000, children);
    },
  };
  return calls;
}
