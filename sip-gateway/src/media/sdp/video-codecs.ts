/**
 * Video formats we forward without transcoding: H.264 (RFC 6184) in packetization-mode 1 with the
 * Constrained Baseline or Baseline profile, and VP8 (RFC 7741). The SFU's H.264 is 42e01f mode 1
 * (sfu/src/media/codecs.ts), and browsers publish exactly that for meetings with room systems, so
 * that is what we send; what we receive is forwarded to browsers, which decode CB/Baseline.
 *
 * - Baseline (4200xx) is accepted like Constrained Baseline: CB is Baseline without FMO, ASO and
 *   redundant slices, which room-system encoders never use; we send CB, which a Baseline decoder
 *   reads. Main/High-only offers are not accepted (we cannot send those profiles without transcoding).
 * - Packetization-mode 0 only: not accepted. Browsers' H.264 (and the SFU's) is mode 1 — NAL units
 *   larger than the MTU arrive as FU-A fragments a mode-0 receiver must drop. Such a line falls back
 *   to VP8 when offered, else is rejected (port 0) and the call carries on as audio.
 * - Levels: we receive up to 3.1 (1280×720@30) or 4.0 (1920×1080@30) with the FullHD licence. With
 *   level-asymmetry-allowed on both sides each side declares what it receives; otherwise the lower of
 *   the two levels is the call's (RFC 6184 §8.2.2). max-fs / max-mbps only raise a level's limits.
 */
import type { OfferedFormat } from './codecs.js';

export type VideoCodecName = 'H264' | 'VP8';

/** Per-level H.264 decoder limits (ITU-T H.264 Table A-1): macroblocks per second, frame size in macroblocks. */
const H264_LEVELS: ReadonlyMap<number, { maxMbps: number; maxFs: number }> = new Map([
  [9, { maxMbps: 1485, maxFs: 99 }], // level 1b as level_idc 9 (High profiles); Baseline 1b is 11 + constraint_set3
  [10, { maxMbps: 1485, maxFs: 99 }],
  [11, { maxMbps: 3000, maxFs: 396 }],
  [12, { maxMbps: 6000, maxFs: 396 }],
  [13, { maxMbps: 11880, maxFs: 396 }],
  [20, { maxMbps: 11880, maxFs: 396 }],
  [21, { maxMbps: 19800, maxFs: 792 }],
  [22, { maxMbps: 20250, maxFs: 1620 }],
  [30, { maxMbps: 40500, maxFs: 1620 }],
  [31, { maxMbps: 108000, maxFs: 3600 }],
  [32, { maxMbps: 216000, maxFs: 5120 }],
  [40, { maxMbps: 245760, maxFs: 8192 }],
  [41, { maxMbps: 245760, maxFs: 8192 }],
  [42, { maxMbps: 522240, maxFs: 8704 }],
  [50, { maxMbps: 589824, maxFs: 22080 }],
  [51, { maxMbps: 983040, maxFs: 36864 }],
  [52, { maxMbps: 2073600, maxFs: 36864 }],
]);

/** The largest picture we receive and forward: 720p unless the Connect FullHD add-on is licensed. */
export type MaxResolution = '720p' | '1080p';

/** Our receive capability per licence: H.264 level and frame size in macroblocks (16×16). */
export const RESOLUTION_LIMITS: Record<MaxResolution, { h264Level: number; maxFs: number; maxMbps: number }> = {
  // 1280×720 = 80×45 = 3600 MBs; level 3.1 is 720p30.
  '720p': { h264Level: 31, maxFs: 3600, maxMbps: 108000 },
  // 1920×1088 = 120×68 = 8160 MBs; level 4.0 is 1080p30.
  '1080p': { h264Level: 40, maxFs: 8160, maxMbps: 245760 },
};

export type H264Profile = 'constrained-baseline' | 'baseline' | 'other';

export interface H264ProfileLevel {
  profile: H264Profile;
  /** profile_idc and profile-iop as the offer wrote them (4 hex digits), echoed in the answer. */
  profileHex: string;
  levelIdc: number;
}

/** Parses profile-level-id (RFC 6184 §8.1); absent means 42000a (Baseline 1.0). */
export function parseProfileLevelId(value: string | undefined): H264ProfileLevel | null {
  const v = value ?? '42000a';
  if (!/^[0-9a-fA-F]{6}$/.test(v)) return null;
  const idc = parseInt(v.slice(0, 2), 16);
  const iop = parseInt(v.slice(2, 4), 16);
  let levelIdc = parseInt(v.slice(4, 6), 16);
  if (!H264_LEVELS.has(levelIdc)) return null;
  let profile: H264Profile = 'other';
  if (idc === 0x42) profile = iop & 0x40 ? 'constrained-baseline' : 'baseline';
  // Level 1b in Baseline profiles is level_idc 11 with constraint_set3_flag (RFC 6184 §8.1).
  if (idc === 0x42 && levelIdc === 11 && iop & 0x10) levelIdc = 9;
  return { profile, profileHex: v.slice(0, 4).toLowerCase(), levelIdc };
}

export function levelLimits(levelIdc: number): { maxMbps: number; maxFs: number } {
  return H264_LEVELS.get(levelIdc) ?? { maxMbps: 1485, maxFs: 99 };
}

/** Writes a level back as profile-level-id's last byte: 1b in Baseline profiles is 11 with constraint_set3. */
export function profileLevelIdHex(profileHex: string, levelIdc: number): string {
  if (levelIdc === 9 && profileHex.startsWith('42')) {
    const iop = parseInt(profileHex.slice(2, 4), 16) | 0x10;
    return `42${iop.toString(16).padStart(2, '0')}0b`;
  }
  return `${profileHex}${levelIdc.toString(16).padStart(2, '0')}`;
}

/** fmtp "a=b;c=d" → lower-cased keys; values kept as written. Bounded: at most 32 parameters. */
export function parseFmtp(config: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!config) return out;
  for (const part of config.split(';').slice(0, 32)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    if (key && !out.has(key)) out.set(key, part.slice(eq + 1).trim());
  }
  return out;
}

function positiveInt(v: string | undefined, max: number): number | null {
  if (v === undefined || !/^\d{1,10}$/.test(v)) return null;
  const n = Number(v);
  return n > 0 && n <= max ? n : null;
}

/** What one offered video format is to us; `reason` says why an H.264 format cannot be used. */
export type VideoFormatMatch =
  | { ok: true; name: 'H264'; payloadType: number; h264: H264Params }
  | { ok: true; name: 'VP8'; payloadType: number; vp8: Vp8Params }
  | { ok: false; reason: 'h264_mode0_only' | 'h264_profile' | 'unknown' };

export interface H264Params {
  profile: H264ProfileLevel;
  levelAsymmetryAllowed: boolean;
  /** max-mbps / max-fs as offered (they only raise the level's limits), null when absent. */
  maxMbps: number | null;
  maxFs: number | null;
}

export interface Vp8Params {
  /** RFC 7741 §6.1: the largest frame (macroblocks) and frame rate the offerer decodes; null when unlimited. */
  maxFs: number | null;
  maxFr: number | null;
}

export function matchVideoFormat(f: OfferedFormat, fmtpConfig: string | undefined): VideoFormatMatch {
  if (f.clockRate !== 90000) return { ok: false, reason: 'unknown' };
  const enc = f.encoding.toLowerCase();
  const p = parseFmtp(fmtpConfig);
  if (enc === 'vp8') return { ok: true, name: 'VP8', payloadType: f.payloadType, vp8: { maxFs: positiveInt(p.get('max-fs'), 1 << 24), maxFr: positiveInt(p.get('max-fr'), 1000) } };
  if (enc !== 'h264') return { ok: false, reason: 'unknown' };
  // RFC 6184 §8.1: absent packetization-mode means 0. Mode 2 (interleaved) is no better for us.
  if ((p.get('packetization-mode') ?? '0') !== '1') return { ok: false, reason: 'h264_mode0_only' };
  const profile = parseProfileLevelId(p.get('profile-level-id'));
  if (!profile || profile.profile === 'other') return { ok: false, reason: 'h264_profile' };
  return {
    ok: true,
    name: 'H264',
    payloadType: f.payloadType,
    h264: {
      profile,
      levelAsymmetryAllowed: p.get('level-asymmetry-allowed') === '1',
      maxMbps: positiveInt(p.get('max-mbps'), 1 << 30),
      maxFs: positiveInt(p.get('max-fs'), 1 << 24),
    },
  };
}
