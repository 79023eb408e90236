// The IVR prompt step of setup (Node built-ins only; setup.mjs imports it, tests call it into a
// temp cache). Prompt audio is never stored in the repo: it is spoken by espeak-ng from the text
// catalogue (sip-gateway/src/media/prompts/catalogue.json: voice, speed, id → text), then made
// telephone-ready by sox: leading/trailing silence trimmed, RMS brought to about -16 dBFS (a
// limiter catches the few peaks that would clip), 50 ms fades, raw signed 16-bit little-endian
// mono at 8, 16 and 48 kHz. Cached under <cache>/prompts/<hash of catalogue + tool versions +
// recipe>/<id>.<rate>.s16 with a manifest.json, so a changed text, voice or espeak-ng makes a new
// set and an unchanged one is never regenerated.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const PROMPT_RATES = [8000, 16000, 48000];
/** Bump when the processing below changes in a way the catalogue and tool versions do not show. */
const PROMPT_RECIPE_REVISION = '1';
const TARGET_RMS_DB = -16;
/** At most this much gain goes into the limiter (speech from espeak-ng has a ~18 dB crest factor). */
const MAX_LIMITED_DB = 4;
const FADE_S = 0.05;

export class PromptSetupError extends Error {}

function tool(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (res.error) throw new PromptSetupError(`could not run ${cmd}: ${res.error.message} (install the Debian package ${cmd === 'espeak-ng' ? 'espeak-ng' : 'sox'})`);
  if (res.status !== 0) throw new PromptSetupError(`${cmd} ${args.join(' ')} exited with ${res.status}: ${(res.stderr ?? '').trim().slice(0, 300)}`);
  return { out: (res.stdout ?? '').trim(), err: (res.stderr ?? '').trim() };
}

/** Reads and checks the catalogue; returns its bytes too (they go into the cache key). */
export function readCatalogue(file) {
  const bytes = fs.readFileSync(file);
  let cat;
  try {
    cat = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new PromptSetupError(`${file}: not JSON (${e.message})`);
  }
  const ok =
    cat && typeof cat.voice === 'string' && /^[A-Za-z0-9_+-]{1,40}$/.test(cat.voice) &&
    Number.isInteger(cat.speed) && cat.speed >= 80 && cat.speed <= 400 &&
    cat.prompts && typeof cat.prompts === 'object' &&
    Object.entries(cat.prompts).every(([id, text]) => /^[a-z][a-z0-9_]{0,40}$/.test(id) && typeof text === 'string' && text.trim() !== '' && text.length <= 500);
  if (!ok) throw new PromptSetupError(`${file}: expected { voice, speed (80-400 wpm), prompts: { id: text } }`);
  return { catalogue: cat, bytes };
}

/** "Pk lev dB" and "RMS lev dB" of a file, from sox's stats effect. */
function levels(file, rawRate) {
  const input = rawRate ? ['-t', 'raw', '-e', 'signed-integer', '-b', '16', '-L', '-c', '1', '-r', String(rawRate), file] : [file];
  const { err } = tool('sox', [...input, '-n', 'stats']);
  const num = (label) => {
    const m = new RegExp(`^${label}\\s+(-?[\\d.]+|-inf)`, 'm').exec(err);
    return m ? (m[1] === '-inf' ? -Infinity : Number(m[1])) : NaN;
  };
  return { peakDb: num('Pk lev dB'), rmsDb: num('RMS lev dB') };
}

function rawOut(trimmed, out, rate, gainDb) {
  tool('sox', ['-D', '-V1', trimmed, '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-L', '-c', '1', out,
    'rate', '-v', String(rate), 'gain', '-l', gainDb.toFixed(2), 'fade', 't', String(FADE_S), '-0', String(FADE_S)]);
}

function generateOne(work, id, text, cat) {
  const wav = path.join(work, `${id}.wav`);
  const trimmed = path.join(work, `${id}.trim.wav`);
  // Text on stdin, so a catalogue line starting with '-' is never read as an option.
  tool('espeak-ng', ['-v', cat.voice, '-s', String(cat.speed), '--stdin', '-w', wav], { input: text });
  tool('sox', [wav, '-e', 'floating-point', '-b', '32', trimmed, 'silence', '1', '0.02', '0.1%', 'reverse', 'silence', '1', '0.02', '0.1%', 'reverse']);
  const before = levels(trimmed);
  if (!Number.isFinite(before.rmsDb)) throw new PromptSetupError(`espeak-ng produced silence for prompt ${id}`);
  // Two passes: the limiter takes some level off the loud parts, so measure once and correct.
  let gainDb = Math.min(TARGET_RMS_DB - before.rmsDb, -before.peakDb + MAX_LIMITED_DB);
  const probe = path.join(work, `${id}.probe.s16`);
  rawOut(trimmed, probe, 48000, gainDb);
  const after = levels(probe, 48000);
  gainDb = Math.min(gainDb + (TARGET_RMS_DB - after.rmsDb), -before.peakDb + MAX_LIMITED_DB);
  const files = {};
  for (const rate of PROMPT_RATES) {
    const file = `${id}.${rate}.s16`;
    rawOut(trimmed, path.join(work, file), rate, gainDb);
    const samples = fs.statSync(path.join(work, file)).size / 2;
    files[rate] = { file, samples, durationMs: Math.round((samples / rate) * 1000) };
  }
  for (const f of [wav, trimmed, probe]) fs.rmSync(f, { force: true });
  return { text, gainDb: Number(gainDb.toFixed(2)), rmsDb: levels(path.join(work, files[48000].file), 48000).rmsDb, files };
}

/**
 * Makes sure the prompt set for the catalogue exists under <cacheDir>/prompts/<key>/; generates
 * it when missing. `linkPath`, when given, becomes a symlink to that directory (how the service
 * finds it, like the mediasoup worker). Returns the directory and what was done.
 */
export function ensurePrompts({ cataloguePath, cacheDir, linkPath = null, log = () => {} }) {
  const { catalogue, bytes } = readCatalogue(cataloguePath);
  const espeak = tool('espeak-ng', ['--version']).out.replace(/\s+Data at:.*$/s, '');
  const sox = tool('sox', ['--version']).out;
  const key = createHash('sha256').update(PROMPT_RECIPE_REVISION).update('\0').update(bytes).update('\0').update(espeak).update('\0').update(sox).digest('hex').slice(0, 16);
  const dir = path.join(cacheDir, 'prompts', key);
  const ids = Object.keys(catalogue.prompts);
  let generated = [];
  if (fs.existsSync(path.join(dir, 'manifest.json'))) {
    log(`prompts: ${ids.length} prompts cached in ${dir}`);
  } else {
    const started = Date.now();
    const work = `${dir}.tmp-${process.pid}`;
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work, { recursive: true });
    const prompts = {};
    try {
      for (const id of ids) prompts[id] = generateOne(work, id, catalogue.prompts[id], catalogue);
    } catch (e) {
      fs.rmSync(work, { recursive: true, force: true });
      throw e;
    }
    const manifest = { catalogueKey: key, espeakNg: espeak, sox, voice: catalogue.voice, speed: catalogue.speed, rates: PROMPT_RATES, targetRmsDb: TARGET_RMS_DB, prompts };
    fs.writeFileSync(path.join(work, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    try {
      fs.renameSync(work, dir);
      generated = ids;
      log(`prompts: generated ${ids.length} prompts × ${PROMPT_RATES.length} rates with ${espeak} in ${((Date.now() - started) / 1000).toFixed(1)} s → ${dir}`);
    } catch (e) {
      // Another setup finished the same set first: theirs is as good as ours.
      fs.rmSync(work, { recursive: true, force: true });
      if (!fs.existsSync(path.join(dir, 'manifest.json'))) throw e;
      log(`prompts: ${ids.length} prompts cached in ${dir}`);
    }
  }
  if (linkPath) {
    fs.mkdirSync(path.dirname(linkPath), { recursive: true });
    fs.rmSync(linkPath, { force: true });
    fs.symlinkSync(dir, linkPath);
  }
  return { dir, generated };
}
