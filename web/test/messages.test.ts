import { describe, expect, it } from 'vitest';
import { MeetingErrors } from '../../server/src/meetings/errors.js';
import { CoreErrors } from '../../server/src/errors.js';
import { leaveReason } from '../../server/src/protocol/index.js';
import { CLIENT_ERROR_CODES, errorMessage, leaveReasonMessage } from '../src/signaling/index.js';

const FALLBACK = /^Something went wrong \(/;

describe('errorMessage', () => {
  const codes = [...Object.keys(MeetingErrors), ...Object.keys(CoreErrors), ...CLIENT_ERROR_CODES];

  it.each(codes)('has a readable sentence for %s', (code) => {
    const text = errorMessage(code);
    expect(text).not.toMatch(FALLBACK);
    expect(text).not.toContain(code);
    expect(text).toMatch(/^[A-Z].*[.!?]$/);
  });

  it('gives each meeting error its own sentence', () => {
    const sentences = Object.keys(MeetingErrors).map((c) => errorMessage(c));
    expect(new Set(sentences).size).toBe(sentences.length);
  });

  it('says what a user needs for the PIN refusals', () => {
    expect(errorMessage('wrong_pin')).toBe('That PIN is not correct.');
    expect(errorMessage('wrong_pin', { attemptsLeft: 2 })).toBe('That PIN is not correct. 2 tries left.');
    expect(errorMessage('pin_locked_out', { retryAfterSeconds: 600 })).toBe('Too many wrong PINs. Try again in 10 minutes.');
    expect(errorMessage('pin_locked_out', { retryAfterSeconds: 61 })).toBe('Too many wrong PINs. Try again in 2 minutes.');
    expect(errorMessage('pin_locked_out', { retryAfterSeconds: 30 })).toBe('Too many wrong PINs. Try again in 1 minute.');
    expect(errorMessage('pin_locked_out')).toBe('Too many wrong PINs. Try again later.');
    expect(errorMessage('pin_required')).toMatch(/needs a PIN/);
  });

  it('names capacity refusals differently', () => {
    expect(errorMessage('meeting_full')).toMatch(/full/);
    expect(errorMessage('licence_limit')).toMatch(/licence/);
  });

  it('falls back for an unknown code without throwing, also for inherited property names', () => {
    expect(errorMessage('no_such_code')).toBe('Something went wrong (no_such_code).');
    expect(errorMessage('toString')).toMatch(FALLBACK);
    expect(errorMessage('__proto__')).toMatch(FALLBACK);
  });
});

describe('leaveReasonMessage', () => {
  it.each(leaveReason.options)('has a sentence for %s', (reason) => {
    expect(leaveReasonMessage(reason)).toMatch(/^[A-Z].*\.$/);
    expect(leaveReasonMessage(reason)).not.toBe(leaveReasonMessage('unknown'));
  });
});
