/**
 * Test support for the video e2e tests that decode with ffmpeg: two lavfi patterns (A = testsrc,
 * B = smptebars) as clean reference pictures, decoded output written as tiny RGB frames, and each
 * decoded frame labelled with the pattern it is nearest to.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFfmpeg } from './ffmpeg-rtp.js';

/** Frames are compared at this size: enough to tell the patterns apart, small enough to compare fast. */
const W = 32;
const H = 24;
const FRAME_BYTES = W * H * 3;

/** ffmpeg output args: each decoded frame (showinfo logs it) as it comes, scaled to a tiny RGB frame, into `path`. */
export function rawFramesOutput(path: string): string[] {
  // setpts numbers the frames: after a switch the next frame may be only a few ms later, which the
  // file writer's 30 fps time base would otherwise refuse as a duplicate timestamp.
  return ['-fps_mode', 'passthrough', '-vf', `showinfo,setpts=N/(30*TB),scale=${W}:${H}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', path];
}

/** The patterns straight from lavfi for `seconds`, scaled like the decoded output: [A frames, B frames]. */
export async function referencePatterns(dir: string, seconds: number, children: ChildProcess[]): Promise<[Buffer[], Buffer[]]> {
  const refs = await Promise.all(
    ['testsrc', 'smptebars'].map(async (pattern) => {
      const path = join(dir, `${pattern}.rgb`);
      const r = startFfmpeg(['-loglevel', 'error', '-f', 'lavfi', '-i', `${pattern}=size=320x240:rate=30`, '-t', String(seconds), '-vf', `scale=${W}:${H}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', path], 30_000, children);
      const { stderr } = await r.done;
      if (stderr !== '') throw new Error(`rendering ${pattern}: ${stderr}`);
      return framesOf(readFileSync(path));
    }),
  );
  return refs as [Buffer[], Buffer[]];
}

export function framesOf(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + FRAME_BYTES <= buf.length; at += FRAME_BYTES) out.push(buf.subarray(at, at + FRAME_BYTES));
  return out;
}

/** Mean absolute difference per byte to the nearest of `refs`. */
function nearest(frame: Buffer, refs: Buffer[]): number {
  let best = Infinity;
  for (const r of refs) {
    let sum = 0;
    for (let i = 0; i < FRAME_BYTES; i++) sum += Math.abs(frame[i]! - r[i]!);
    best = Math.min(best, sum / FRAME_BYTES);
  }
  return best;
}

export interface FrameLabel {
  label: 'A' | 'B';
  /** Distance to the pattern it shows, and to the other one. */
  distance: number;
  other: number;
}

export function labelFrames(frames: Buffer[], refA: Buffer[], refB: Buffer[]): FrameLabel[] {
  return frames.map((f) => {
    const a = nearest(f, refA);
    const b = nearest(f, refB);
    return { label: a < b ? 'A' : 'B', distance: Math.min(a, b), other: Math.max(a, b) };
  });
}

/** The labels with repeats collapsed: 'ABA' for A frames, then B frames, then A frames. */
export function runsOf(labels: FrameLabel[]): string {
  return labels.map((l) => l.label).join('').replace(/(.)\1+/g, '$1');
}
