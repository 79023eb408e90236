/**
 * Keeps bench/media's load client honest: the Go WebRTC client (built here if missing, cached
 * under ~/.cache/convene) joins a real Convene node with two publishers and three subscribers over
 * real ICE/DTLS/SRTP, and every subscriber must decode what it should — audio from both
 * publishers, camera video from exactly the one last-N allows (lastN 1: the publisher who speaks),
 * none for the audio-only subscriber. No timing thresholds: counts and sets only.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, spawnConvene, testNodeConfig, type ConveneProcess } from './support/convene-process.js';

interface Stream {
  publisher: string;
  kind: 'audio' | 'video';
  codec: string;
  packets: number;
  frames: number;
  keyframes: number;
  closed: boolean;
  pausedAtEnd: boolean;
}
interface Participant {
  name: string;
  joined: boolean;
  error?: string;
  produced: string[];
  packetsSent: number;
  streams: Stream[];
}

const ROOM = 'demo.meeting@convene.example';

describe('bench/media load client against a real Convene node', () => {
  let node: ConveneProcess;
  let setup: { client: string; mediaDir: string };

  beforeAll(async () => {
    // Build the client and encode the clips once (cached by source hash / media revision).
    setup = JSON.parse(execFileSync(process.execPath, [path.join(repoRoot, 'bench', 'media', 'setup.mjs')], { encoding: 'utf8', timeout: 280_000 })) as typeof setup;
    node = spawnConvene(testNodeConfig().replace('sfu:\n', 'sfu:\n  media: { lastN: 1 }\n'));
    await node.ready;
  }, 300_000);

  afterAll(async () => {
    node?.kill();
    await node?.exited;
  });

  it('every subscriber consumes audio from both publishers (silence not forwarded) and decodes video from the one last-N picks', async () => {
    const url = new URL(await node.ready);
    const pub = (name: string, audio: string, video: string) => ({ name, room: ROOM, mode: 'video', bandwidthKbps: 2400, audio, video, receive: false });
    const sub = (name: string, mode: string) => ({ name, room: ROOM, mode, bandwidthKbps: mode === 'video' ? 1200 : 256, audio: 'none', video: 'none', receive: true });
    const plan = {
      server: 'convene',
      wsUrl: `ws://${url.host}/ws`,
      mediaDir: setup.mediaDir,
      durationS: 10,
      joinSpreadMs: 1000,
      layerKbps: [150, 400, 900],
      participants: [
        // pub-a joins first but stays silent (DTX); pub-b speaks, so last-N 1 must pick pub-b.
        pub('pub-a', 'never', 'simulcast'),
        pub('pub-b', 'always', 'h264'),
        sub('sub-0', 'video'),
        sub('sub-1', 'video'),
        sub('sub-2', 'audio-only'),
      ],
    };
    const planFile = path.join(node.dir, 'plan.json');
    const outFile = path.join(node.dir, 'out.json');
    fs.writeFileSync(planFile, JSON.stringify(plan));
    execFileSync(setup.client, ['-plan', planFile, '-out', outFile], { timeout: 90_000 });
    const results = JSON.parse(fs.readFileSync(outFile, 'utf8')) as { participants: Participant[] };
    const byName = new Map(results.participants.map((p) => [p.name, p]));

    for (const p of results.participants) expect({ name: p.name, joined: p.joined, error: p.error }).toEqual({ name: p.name, joined: true, error: undefined });
    expect(byName.get('pub-a')!.produced).toEqual(['audio', 'simulcast']);
    expect(byName.get('pub-b')!.produced).toEqual(['audio', 'h264']);

    for (const name of ['sub-0', 'sub-1', 'sub-2']) {
      const streams = byName.get(name)!.streams;
      // Both publishers' audio is consumed, but only speech is forwarded: pub-a's DTX frames
      // (silence) are dropped by the SFU, so its listeners receive nothing from it.
      const audio = streams.filter((s) => s.kind === 'audio');
      expect([name, audio.map((s) => s.publisher).sort()]).toEqual([name, ['pub-a', 'pub-b']]);
      expect([name, audio.map((s) => [s.publisher, s.packets > 0]).sort()]).toEqual([name, [['pub-a', false], ['pub-b', true]]]);
      // Video still flowing at the end: open and not paused by the server.
      const liveVideo = streams.filter((s) => s.kind === 'video' && !s.closed && !s.pausedAtEnd);
      if (name === 'sub-2') {
        expect(streams.filter((s) => s.kind === 'video')).toEqual([]);
        continue;
      }
      expect([name, liveVideo.map((s) => s.publisher)]).toEqual([name, ['pub-b']]);
      const fromB = liveVideo[0]!;
      expect(fromB.codec).toBe('h264');
      expect(fromB.keyframes).toBeGreaterThan(0);
      expect(fromB.frames).toBeGreaterThan(0);
    }
  }, 200_000);
});
