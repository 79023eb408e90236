/**
 * Test support: run Debian's sox/ffmpeg on raw buffers through a temporary directory. Used by the
 * codec unit tests to compare our output with an independent implementation byte for byte.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function runTool(tool: 'sox' | 'ffmpeg', input: Uint8Array, args: (inPath: string, outPath: string) => string[]): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'convene-codec-'));
  try {
    const inPath = join(dir, 'in.bin');
    const outPath = join(dir, 'out.bin');
    writeFileSync(inPath, input);
    execFileSync(tool, args(inPath, outPath), { stdio: ['ignore', 'ignore', 'pipe'] });
    return readFileSync(outPath);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function int16FromBuffer(buf: Buffer): Int16Array {
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  return new Int16Array(copy.buffer, 0, copy.byteLength >> 1);
}

export function bytesOf(samples: Int16Array): Uint8Array {
  return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
}

/** A sine tone as 16-bit PCM (little-endian host assumed, as on every machine we run). */
export function sineTone(rate: number, frequency: number, seconds: number, amplitude = 16000): Int16Array {
  const out = new Int16Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequency * i) / rate));
  return out;
}
