/**
 * The gateway bench's Janus half, really run: Debian's janus (AudioBridge over HTTP) with three
 * plain-RTP participants sending sipp's g711a.pcap for 3 s, and one WebRTC browser (the Go client
 * over Janus's WebSocket API). Every participant must receive its mix, and the mix must carry the
 * others' speech (not silence) — else the anchor's CPU numbers would be for a bridge that mixes
 * nothing; the browser must get an Opus mix with sound in it, as Convene's browser does.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const here = path.dirname(new URL(import.meta.url).pathname);

interface LegResult {
  received: number;
  lost: number;
  loud: number;
  meanLevel: number;
  payloadTypes: Record<string, number>;
}
interface StepResult {
  server: string;
  browser?: { joined: boolean; error?: string; streams: number; packets: number; voicePackets: number };
  legs: number;
  failed?: string;
  legsHearingAudio: number;
  serverCpuPct: number;
  signalling: Record<string, { samples: number }>;
  perLeg: LegResult[];
}

function runBench(outDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [path.join(here, 'run.mjs'), '--quick', '--servers', 'janus', '--steps', '3', '--seconds', '3', '--out', outDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (d) => (output += d));
    proc.stderr.on('data', (d) => (output += d));
    const killer = setTimeout(() => proc.kill('SIGKILL'), 100_000);
    proc.on('exit', (code) => (clearTimeout(killer), resolve({ code, output })));
  });
}

describe('gateway bench: Janus AudioBridge anchor', () => {
  it('mixes three G.711 plain-RTP participants and a WebRTC browser: each one hears the others', { timeout: 120_000 }, async () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-bench-test-'));
    try {
      const { code, output } = await runBench(outDir);
      expect(code, output).toBe(0);
      const summary = JSON.parse(fs.readFileSync(path.join(outDir, 'quick.json'), 'utf8')) as { skipped: Record<string, string>; results: StepResult[] };
      expect(summary.skipped.janus, output).toBeUndefined();
      const step = summary.results.find((r) => r.server === 'janus');
      expect(step?.failed, output).toBeUndefined();
      expect(step?.perLeg).toHaveLength(3);
      for (const leg of step!.perLeg) {
        // About 50 packets/s of A-law over ≥ 5 s of run (warm-up, window, tail).
        expect(leg.received).toBeGreaterThan(100);
        expect(Object.keys(leg.payloadTypes)).toEqual(['8']);
        // Speech from the two others, not the 0xd5 silence pattern (mean |sample| 8).
        expect(leg.loud).toBeGreaterThan(leg.received / 2);
        expect(leg.meanLevel).toBeGreaterThan(500);
      }
      expect(step!.legsHearingAudio).toBe(3);
      // The browser: joined, one stream (the mix), ≈ 50 packets/s over its stay, mostly speech.
      expect(step!.browser?.joined, JSON.stringify(step!.browser)).toBe(true);
      expect(step!.browser!.streams).toBe(1);
      expect(step!.browser!.packets).toBeGreaterThan(100);
      expect(step!.browser!.voicePackets).toBeGreaterThan(step!.browser!.packets / 2);
      expect(step!.signalling.info!.samples).toBeGreaterThan(10);
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true });
    }
  });
});
