/** Audio level of a frame in dBov (0 = full-scale square wave, down to −127), as RFC 6464 measures it. */

export const SILENCE_DBOV = -127;

/** RMS level of `count` samples of `pcm` in dBov, clamped to [−127, 0]. */
export function levelDbov(pcm: Int16Array, count = pcm.length): number {
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const s = pcm[i]!;
    sum += s * s;
  }
  if (sum === 0 || count === 0) return SILENCE_DBOV;
  const db = 10 * Math.log10(sum / count / (32768 * 32768));
  return db < SILENCE_DBOV ? SILENCE_DBOV : db > 0 ? 0 : db;
}

/** RFC 6464's field: the level as a positive number of −dBov, 0 (loudest) … 127 (silence). */
export function rfc6464Level(dbov: number): number {
  return Math.min(127, Math.max(0, Math.round(-dbov)));
}
