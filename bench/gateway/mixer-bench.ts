/**
 * Room mixer bench: N G.711 (PCMA) SIP legs, all talking, plus one browser (Opus) in one room, on
 * ONE core (this process's main thread; libopus runs there too). For each N it prints the time of
 * one mixOnce() (mean / p99 / max), the pushPacket() time per tick, CPU µs per leg per tick and legs
 * per core (= 20 ms / CPU per leg). Then the per-frame costs behind the design choices (Opus encoder
 * complexity for room feeds, Opus decode of a room source). A bench, not a test: nothing fails.
 * Wall times include any time the OS took the core away (a busy machine shows "misses" that are
 * not the mixer's); CPU time (process.cpuUsage) is what the mixer itself spent.
 *
 *   npx tsx bench/gateway/mixer-bench.ts [seconds-per-N, default 5]
 *
 * Audio: the PCMA payload of Debian sip-tester's g711a.pcap (speech), each leg starting at a
 * different offset; without it, speech-like noise bursts made here. The browser sends that speech
 * resampled to 48 kHz stereo, Opus-encoded like a browser (32 kbit/s).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Resampler, decodeAlaw, encodeAlaw } from '../../sip-gateway/src/media/codecs/index.js';
import { readRtpFromPcap } from '../../sip-gateway/src/media/dtmf/testing/pcap.js';
import { RoomMixer } from '../../sip-gateway/src/media/mixer/index.js';
import { OpusDecoder, OpusVoiceEncoder } from '../../sip-gateway/src/media/mixer/opus.js';

const require = createRequire(import.meta.url);
const { OpusEncoder } = require('@discordjs/opus') as typeof import('@discordjs/opus');

const SECONDS = Number(process.argv[2] ?? 5);
const PCAP = '/usr/share/sip-tester/g711a.pcap';

/** 20 ms PCMA payloads of speech: the pcap's, or generated bursts (syllable-rate envelope on filtered noise). */
function speechPackets(): { packets: Uint8Array[]; origin: string } {
  if (existsSync(PCAP)) {
    // The capture has 30 ms packets; re-cut its audio into 20 ms ones.
    const audio = Buffer.concat(readRtpFromPcap(PCAP).filter((p) => p.payloadType === 8).map((p) => p.payload));
    const packets: Uint8Array[] = [];
    for (let o = 0; o + 160 <= audio.length; o += 160) packets.push(Uint8Array.from(audio.subarray(o, o + 160)));
    if (packets.length >= 50) return { packets, origin: `${PCAP} (${((packets.length * 20) / 1000).toFixed(1)} s, looped)` };
  }
  let seed = 1;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
  const packets: Uint8Array[] = [];
  let lp = 0;
  for (let k = 0; k < 300; k++) {
    const pcm = new Int16Array(160);
    for (let i = 0; i < 160; i++) {
      const t = (k * 160 + i) / 8000;
      const envelope = Math.max(0, Math.sin(2 * Math.PI * 4 * t)) * (Math.sin(2 * Math.PI * 0.3 * t) > -0.3 ? 1 : 0.02);
      lp = 0.7 * lp + 0.3 * rand();
      pcm[i] = Math.round(12000 * envelope * lp);
    }
    const out = new Uint8Array(160);
    encodeAlaw(pcm, out);
    packets.push(out);
  }
  return { packets, origin: 'generated noise bursts (g711a.pcap not found)' };
}

/** The same speech as a browser would send it: 48 kHz stereo Opus at 32 kbit/s. */
function browserPackets(pcma: Uint8Array[]): Uint8Array[] {
  const enc = new OpusEncoder(48000, 2);
  enc.setBitrate(32000);
  const up = new Resampler(8000, 48000);
  const pcm8 = new Int16Array(160);
  const pcm48 = new Int16Array(960);
  const stereo = new Int16Array(1920);
  return pcma.map((p) => {
    decodeAlaw(p, pcm8);
    up.process(pcm8, pcm48);
    for (let i = 0; i < 960; i++) stereo[2 * i] = stereo[2 * i + 1] = pcm48[i]!;
    return new Uint8Array(enc.encode(Buffer.from(stereo.buffer)));
  });
}

const PCMA = { name: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1 } as const;

interface Result {
  n: number;
  ticks: number;
  mixMean: number;
  mixP99: number;
  mixMax: number;
  pushMean: number;
  cpuPerLegUs: number;
  misses: number;
}

function runRoom(n: number, speech: Uint8Array[], browser: Uint8Array[]): Result {
  const mixer = new RoomMixer({ reuseFrames: true }); // as the media engine runs it
  for (let i = 0; i < n; i++) {
    mixer.addSource(`leg${i}`, { codec: 'PCMA', origin: 'leg' });
    mixer.addLeg(`leg${i}`, { codec: PCMA, ownSourceId: `leg${i}` });
  }
  mixer.addSource('browser', { codec: 'opus', origin: 'room' });
  const offsets = Array.from({ length: n }, (_, i) => (i * 37) % speech.length);

  let now = 0;
  let tick = 0;
  const step = (): [number, number] => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) mixer.pushPacket(`leg${i}`, tick & 0xffff, (tick * 160) >>> 0, speech[(offsets[i]! + tick) % speech.length]!, now);
    mixer.pushPacket('browser', tick & 0xffff, (tick * 960) >>> 0, browser[tick % browser.length]!, now);
    const t1 = performance.now();
    mixer.mixOnce(now);
    const t2 = performance.now();
    now += 20;
    tick++;
    return [t1 - t0, t2 - t1];
  };

  for (let i = 0; i < 100; i++) step(); // warm-up: JIT, jitter buffers filled, encoders created
  const mix: number[] = [];
  let push = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  // Bounded: at most SECONDS of wall time and 5000 ticks.
  while (mix.length < 5000 && performance.now() - start < SECONDS * 1000) {
    const [p, m] = step();
    push += p;
    mix.push(m);
  }
  const cpu = process.cpuUsage(cpu0);
  mixer.close();
  const sorted = [...mix].sort((a, b) => a - b);
  const total = mix.reduce((a, b) => a + b, 0);
  return {
    n,
    ticks: mix.length,
    mixMean: total / mix.length,
    mixP99: sorted[Math.floor(sorted.length * 0.99)]!,
    mixMax: sorted.at(-1)!,
    pushMean: push / mix.length,
    cpuPerLegUs: (cpu.user + cpu.system) / mix.length / n,
    misses: mix.filter((m) => m > 20).length,
  };
}

/** µs per call of `fn`, over about `ms` after a warm-up. */
function perCall(fn: () => void, ms = 700): number {
  const warm = performance.now() + 100;
  while (performance.now() < warm) fn();
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 20; i++) fn();
    calls += 20;
  }
  return ((performance.now() - start) * 1000) / calls;
}

const { packets: speech, origin } = speechPackets();
const browser = browserPackets(speech);
console.log(`audio: ${origin}; Node ${process.version}; ${SECONDS}s per N`);
console.log('\nN legs | ticks | mixOnce wall mean / p99 / max (ms) | push/tick (ms) | CPU ms/tick | CPU µs/leg/tick | legs/core | ticks > 20 ms wall');
for (const n of [25, 50, 100, 200]) {
  const r = runRoom(n, speech, browser);
  console.log(
    `${String(r.n).padStart(6)} | ${String(r.ticks).padStart(5)} | ${r.mixMean.toFixed(2)} / ${r.mixP99.toFixed(2)} / ${r.mixMax.toFixed(2)} | ${r.pushMean.toFixed(3)} | ${((r.cpuPerLegUs * r.n) / 1000).toFixed(2)} | ${r.cpuPerLegUs.toFixed(1)} | ${Math.floor(20_000 / r.cpuPerLegUs)} | ${r.misses}`,
  );
}

// A browser-heavy meeting: 10 phones and 50 browsers (the browsers all send speech, each at its
// own offset; ~1/3 of the pcap is pauses). Beyond 8 browsers only the ones that can matter are decoded.
{
  const phones = 10;
  const browsers = 50;
  const mixer = new RoomMixer({ reuseFrames: true }); // as the media engine runs it
  for (let i = 0; i < phones; i++) {
    mixer.addSource(`leg${i}`, { codec: 'PCMA', origin: 'leg' });
    mixer.addLeg(`leg${i}`, { codec: PCMA, ownSourceId: `leg${i}` });
  }
  for (let b = 0; b < browsers; b++) mixer.addSource(`b${b}`, { codec: 'opus', origin: 'room' });
  let now = 0;
  let decoded = 0;
  let ticks = 0;
  const step = (tick: number): void => {
    for (let i = 0; i < phones; i++) mixer.pushPacket(`leg${i}`, tick & 0xffff, (tick * 160) >>> 0, speech[(i * 53 + tick) % speech.length]!, now);
    for (let b = 0; b < browsers; b++) mixer.pushPacket(`b${b}`, tick & 0xffff, (tick * 960) >>> 0, browser[(b * 29 + tick) % browser.length]!, now);
    mixer.mixOnce(now);
    now += 20;
  };
  for (let t = 0; t < 100; t++) step(t);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  while (ticks < 3000 && performance.now() - start < SECONDS * 1000) {
    step(100 + ticks);
    decoded += mixer.decodedRoomSources;
    ticks++;
  }
  const cpu = process.cpuUsage(cpu0);
  mixer.close();
  console.log(
    `\nBrowser-heavy room (${phones} phones + ${browsers} browsers): ${((cpu.user + cpu.system) / ticks / 1000).toFixed(2)} ms CPU per tick, ` +
      `${(decoded / ticks).toFixed(1)} of ${browsers} browsers decoded per tick (${ticks} ticks)`,
  );
}

// Per-frame costs behind the choices.
const pcm8 = new Int16Array(160);
const pcm16 = new Int16Array(320);
const up = new Resampler(8000, 16000);
console.log('\nRoom feed: Opus encode of one 20 ms 8 kHz frame of speech (VOIP, voice signal, VBR, no FEC)');
for (const complexity of [0, 1, 3, 5, 10]) {
  for (const bitrate of [16000, 24000]) {
    const enc = new OpusVoiceEncoder(8000, { bitrate, complexity, fecLossPercent: 0 });
    let k = 0;
    let bytes = 0;
    let frames = 0;
    const us = perCall(() => {
      decodeAlaw(speech[k++ % speech.length]!, pcm8);
      bytes += enc.encode(pcm8).length;
      frames++;
    }, 400);
    console.log(`  complexity ${String(complexity).padStart(2)} @ ${bitrate / 1000} kbit/s: ${us.toFixed(1)} µs/frame, ${(bytes / frames).toFixed(1)} bytes/frame`);
  }
}
{
  const enc = new OpusVoiceEncoder(8000, { bitrate: 24000, complexity: 1, fecLossPercent: 10 });
  let k = 0;
  const us = perCall(() => {
    decodeAlaw(speech[k++ % speech.length]!, pcm8);
    enc.encode(pcm8);
  }, 400);
  console.log(`  complexity  1 @ 24 kbit/s with in-band FEC (10 %): ${us.toFixed(1)} µs/frame`);
}
{
  const enc = new OpusVoiceEncoder(16000, { bitrate: 24000, complexity: 1, fecLossPercent: 0 });
  let k = 0;
  const us = perCall(() => {
    decodeAlaw(speech[k++ % speech.length]!, pcm8);
    up.process(pcm8, pcm16);
    enc.encode(pcm16);
  }, 400);
  console.log(`  (same speech resampled and encoded at 16 kHz, complexity 1: ${us.toFixed(1)} µs/frame)`);
}
{
  const dec = new OpusDecoder(16000);
  const dec48 = new OpusDecoder(48000);
  const out = new Int16Array(960 * 6);
  let k = 0;
  const us16 = perCall(() => void dec.decode(browser[k++ % browser.length]!, out, 0), 400);
  const us48 = perCall(() => void dec48.decode(browser[k++ % browser.length]!, out, 0), 400);
  const plc = perCall(() => void dec.conceal(out, 0), 400);
  const sizes = browser.map((b) => b.length).sort((a, b) => a - b);
  console.log(`\nRoom source: Opus decode of one browser frame: ${us16.toFixed(1)} µs at 16 kHz mono (${us48.toFixed(1)} µs at 48 kHz); PLC frame ${plc.toFixed(1)} µs`);
  console.log(`  browser packet sizes (bytes): min ${sizes[0]}, median ${sizes[sizes.length >> 1]}, max ${sizes.at(-1)}`);
}
{
  let k = 0;
  const alaw = perCall(() => void decodeAlaw(speech[k++ % speech.length]!, pcm8), 300);
  const upUs = perCall(() => void up.process(pcm8, pcm16), 300);
  console.log(`G.711 decode ${alaw.toFixed(2)} µs/frame; 8→16 kHz resample ${upUs.toFixed(2)} µs/frame (only for mixed sources)`);
}
