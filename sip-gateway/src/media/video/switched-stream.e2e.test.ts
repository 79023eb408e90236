/**
 * The switched stream against real peers, for H.264 and for VP8: two ffmpeg encoders (testsrc and
 * smptebars, different SSRCs, payload types and sequence starts — one wraps) send RTP to our sockets; a
 * SwitchedVideoStream switches between them every 2 s and sends its output as RTP to a third ffmpeg,
 * which decodes it. The decoder reports no error, concealment, corruption or missed packets, and its
 * frames show both patterns, each frame matching a clean picture of one of them.
 */
import type { ChildProcess } from 'node:child_process';
import type dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRtp } from '../rtp/index.js';
import type { VideoCodec } from './keyframe.js';
import { SwitchedVideoStream, type SwitchReport } from './switched-stream.js';
import { bindUdp, encoderArgs, freePortPair, startFfmpeg, waitUntilBound } from './testing/ffmpeg-rtp.js';
import { framesOf, labelFrames, rawFramesOutput, referencePatterns, runsOf } from './testing/pattern-frames.js';

const children: ChildProcess[] = [];
const sockets: dgram.Socket[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const s of sockets.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe.each<VideoCodec>(['h264', 'vp8'])('SwitchedVideoStream with ffmpeg %s sources and an ffmpeg decoder', (codec) => {
  it('switching every 2 s gives one continuous stream that decodes cleanly and shows both sources', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'convene-vswitch-'));
    dirs.push(dir);
    const SECONDS = 11;

    // Reference pictures: the patterns straight from lavfi, scaled like the decoded output.
    const [refA, refB] = await referencePatterns(dir, SECONDS + 1, children);

    // The decoder: the endpoint's side, told only the output's payload type. showinfo logs each
    // decoded frame's RTP-derived pts and picture type (I/P).
    const outPort = await freePortPair();
    writeFileSync(
      join(dir, 'out.sdp'),
      ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=switched', 'c=IN IP4 127.0.0.1', 't=0 0', `m=video ${outPort} RTP/AVP 102`, ...(codec === 'h264' ? ['a=rtpmap:102 H264/90000', 'a=fmtp:102 packetization-mode=1'] : ['a=rtpmap:102 VP8/90000']), ''].join('\n'),
    );
    const decodedPath = join(dir, 'decoded.rgb');
    const decoder = startFfmpeg(
      ['-nostats', '-loglevel', 'info', '-protocol_whitelist', 'file,udp,rtp', '-i', join(dir, 'out.sdp'), '-t', '10', ...rawFramesOutput(decodedPath)],
      40_000,
      children,
    );
    await waitUntilBound(outPort, 15_000);

    const out = await bindUdp(sockets);
    const outSeqs: number[] = [];
    const outTimestamps: number[] = [];
    /** Output timestamp of the first packet after each completed switch. */
    const switchTimestamps: number[] = [];
    let switchedJustNow = false;
    const requests: string[] = [];
    const reports: SwitchReport[] = [];
    // Each switch is asked 1.5 s after the previous one completed (the first selection, A, completes
    // on A's first keyframe): paced by the stream itself, not the wall clock, so a loaded machine that
    // starts ffmpeg late or delays a keyframe still gets its three switches inside the decoder's 10 s.
    const plan = ['B', 'A', 'B'];
    let schedule: NodeJS.Timeout | undefined;
    const scheduleNext = (): void => {
      const next = plan[reports.length - 1];
      if (next) schedule = setTimeout(() => stream.select(next, now()), 1500);
    };
    const stream = new SwitchedVideoStream(
      { outputSsrc: 0x0badcafe, initialSequenceNumber: 65_400, keyframeTimeoutMs: 400, maxKeyframeRequests: 3 },
      {
        send: (packet, length) => {
          outSeqs.push((packet[2]! << 8) | packet[3]!);
          const ts = ((packet[4]! << 24) | (packet[5]! << 16) | (packet[6]! << 8) | packet[7]!) >>> 0;
          outTimestamps.push(ts);
          if (switchedJustNow) switchTimestamps.push(ts), (switchedJustNow = false);
          out.send(packet, 0, length, outPort, '127.0.0.1');
        },
        requestKeyframe: (id) => requests.push(id),
        switched: (r) => {
          reports.push(r);
          switchedJustNow = true;
          scheduleNext();
        },
      },
    );
    stream.addSource('A', { ssrc: 0x70a0a0a0, payloadTypes: [{ payloadType: 96, outputPayloadType: 102, codec }] });
    stream.addSource('B', { ssrc: 0x30b0b0b0, payloadTypes: [{ payloadType: 97, outputPayloadType: 102, codec }] });

    const inputSeqs: Record<string, number[]> = { A: [], B: [] };
    const t0 = performance.now();
    const now = (): number => performance.now() - t0;
    const sources = await Promise.all([bindUdp(sockets), bindUdp(sockets)]);

    sources.forEach((socket, i) => {
      socket.on('message', (msg: Buffer) => {
        const v = parseRtp(msg);
        if (v) {
          const seqs = inputSeqs[i === 0 ? 'A' : 'B']!;
          seqs.push(v.sequenceNumber);
        }
        stream.handlePacket(msg, now());
      });
    });
    stream.select('A', now());
    const ticker = setInterval(() => stream.tick(now()), 20);
    const encoders = [
      startFfmpeg(encoderArgs({ codec, source: 'testsrc', port: sources[0]!.address().port, seconds: SECONDS, payloadType: 96, ssrc: 0x70a0a0a0, startSequence: 65_450 }), 30_000, children),
      startFfmpeg(encoderArgs({ codec, source: 'smptebars', port: sources[1]!.address().port, seconds: SECONDS, payloadType: 97, ssrc: 0x30b0b0b0, startSequence: 100 }), 30_000, children),
    ];
    const decoded = await decoder.done;
    clearInterval(ticker);
    clearTimeout(schedule);
    for (const e of encoders) expect((await e.done).stderr).toBe('');

    // The decoder saw one clean stream.
    const problems = decoded.stderr.split('\n').filter((l) => !l.includes('Parsed_showinfo')).filter((l) => /error|conceal|corrupt|missed|non-existing|invalid|broken/i.test(l));
    expect(problems).toEqual([]);

    // Each switch cut in at a picture the decoder itself calls a keyframe (I, iskey): the frame
    // whose pts is the switch's output timestamp (pts counts from the first frame's timestamp).
    const shown = [...decoded.stderr.matchAll(/n:\s*\d+\s+pts:\s*(-?\d+).*?iskey:(\d)\s+type:(\w)/g)].map((m) => ({ pts: Number(m[1]), key: m[2] === '1', type: m[3] }));
    expect(shown.length).toBeGreaterThan(150);
    // The decoder's pts is the RTP timestamp minus an origin of its choosing (its first frame's pts is
    // a guess): take the origin that puts the most decoded frames exactly on our output timestamps.
    const sent = new Set(outTimestamps.map((t) => (t - outTimestamps[0]!) >>> 0));
    let ptsOrigin = 0;
    let bestMatches = -1;
    for (const f of shown.slice(0, 10)) {
      for (const rel of [...sent].slice(0, 400)) {
        const origin = f.pts - rel;
        const matches = shown.filter((g) => sent.has(g.pts - origin)).length;
        if (matches > bestMatches) (bestMatches = matches), (ptsOrigin = origin);
      }
    }
    expect(bestMatches).toBeGreaterThan(shown.length * 0.9);
    const typeAtSwitch = switchTimestamps.map((ts) => shown.find((f) => f.pts - ptsOrigin === ((ts - outTimestamps[0]!) >>> 0))?.type ?? 'missing');
    expect(shown[0]!.type).toBe('I'); // the first selection (its pts is the decoder's guess)
    expect(typeAtSwitch.slice(1)).toEqual(['I', 'I', 'I']);
    expect(shown.filter((f) => f.type === 'I').length).toBeLessThanOrEqual(switchTimestamps.length + 10); // ~1 per second of video, no more

    // Our output: 4 switches (the first selection included), one sequence with no gap of our making.
    expect(reports.map((r) => `${r.from}->${r.to}`)).toEqual(['null->A', 'A->B', 'B->A', 'A->B']);
    const inputGaps = Object.values(inputSeqs).reduce((n, seqs) => n + seqs.filter((s, i) => i > 0 && ((s - seqs[i - 1]!) & 0xffff) !== 1).length, 0);
    const outputGaps = outSeqs.filter((s, i) => i > 0 && ((s - outSeqs[i - 1]!) & 0xffff) !== 1).length;
    expect(outputGaps).toBeLessThanOrEqual(inputGaps);
    expect(outSeqs).toContain(0); // the output wrapped, as did source A's input
    expect(requests.filter((r) => r === 'B').length).toBeGreaterThanOrEqual(2);

    // Every decoded frame is a clean picture of one pattern; both appear, in as many runs as switches.
    const frames = framesOf(readFileSync(decodedPath));
    expect(frames.length).toBeGreaterThan(150);
    const labels = labelFrames(frames, refA, refB);
    const worst = Math.max(...labels.map((l) => l.distance));
    const closestOther = Math.min(...labels.map((l) => l.other));
    const runs = runsOf(labels);
    console.log(
      `decoded ${frames.length} frames, runs ${runs}, worst distance to own pattern ${worst.toFixed(2)}, ` +
        `closest to the other ${closestOther.toFixed(2)}, switch-to-keyframe ms: ${reports.map((r) => Math.round(r.switchToKeyframeMs)).join(', ')}, ` +
        `keyframe requests ${requests.join('')}, waited for the old frame: ${reports.filter((r) => r.waitedForOldFrame).length}`,
    );
    expect(runs).toBe('ABAB');
    // Coding loss at 600 kbit/s leaves a few levels (≈ 7 of 255) against the uncoded pattern; the
    // other pattern is > 100 away, and a concealed or half-updated picture lands in between.
    expect(worst).toBeLessThan(15);
    expect(closestOther).toBeGreaterThan(5 * worst);
  });
});
