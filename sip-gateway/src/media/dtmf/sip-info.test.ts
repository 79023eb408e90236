import { describe, expect, it } from 'vitest';
import { DtmfBodyError, MAX_DTMF_BODY_BYTES, parseDtmfBody, parseDtmfRelayBody, parseSipInfoDtmf } from './sip-info.js';
import { DTMF_DIGITS, isPinKey } from './digits.js';

function errorCode(result: unknown): string | undefined {
  return result instanceof DtmfBodyError ? result.code : undefined;
}

describe('application/dtmf-relay', () => {
  it('parses every digit with its duration, CRLF or LF, any field-name case', () => {
    for (const digit of DTMF_DIGITS) {
      expect(parseDtmfRelayBody(`Signal=${digit}\r\nDuration=160\r\n`)).toEqual({ key: digit, method: 'sip_info', durationMs: 160 });
    }
    expect(parseDtmfRelayBody('signal= b\nDURATION = 250')).toEqual({ key: 'B', method: 'sip_info', durationMs: 250 });
    expect(parseDtmfRelayBody('Signal=#')).toEqual({ key: '#', method: 'sip_info', durationMs: undefined });
    expect(parseDtmfRelayBody('Signal=5\r\nDuration=100\r\nVolume=10\r\n')).toMatchObject({ key: '5' });
  });

  it('recognises hook flash, which is not a PIN key', () => {
    const flash = parseDtmfRelayBody('Signal=hookflash\r\nDuration=500\r\n');
    expect(flash).toMatchObject({ key: 'hookflash' });
    expect(parseDtmfRelayBody('Signal=!\r\n')).toMatchObject({ key: 'hookflash' });
    expect(isPinKey('hookflash')).toBe(false);
    expect(isPinKey('A')).toBe(false);
    expect(isPinKey('#')).toBe(true);
    expect(isPinKey('0')).toBe(true);
  });

  it('refuses bad bodies with a typed error, never a throw', () => {
    const cases: [string, string][] = [
      ['', 'empty'],
      ['\r\n  \r\n', 'empty'],
      ['Duration=160', 'missing_signal'],
      ['Signal=', 'invalid_signal'],
      ['Signal=12', 'invalid_signal'],
      ['Signal=E', 'invalid_signal'],
      ['Signal=5\r\nSignal=6', 'duplicate_field'],
      ['Signal=5\r\nDuration=160\r\nDuration=200', 'duplicate_field'],
      ['Signal=5\r\nDuration=-1', 'invalid_duration'],
      ['Signal=5\r\nDuration=1e3', 'invalid_duration'],
      ['Signal=5\r\nDuration=600000', 'invalid_duration'],
      ['Signal 5', 'malformed_line'],
      ['=5', 'malformed_line'],
      [`Signal=5\r\n${'x=1\r\n'.repeat(MAX_DTMF_BODY_BYTES)}`, 'too_long'],
    ];
    for (const [body, code] of cases) {
      let result: unknown;
      expect(() => (result = parseDtmfRelayBody(body)), JSON.stringify(body)).not.toThrow();
      expect(errorCode(result), JSON.stringify(body)).toBe(code);
    }
  });
});

describe('application/dtmf', () => {
  it('parses the digit alone, with surrounding whitespace', () => {
    expect(parseDtmfBody('5')).toEqual({ key: '5', method: 'sip_info', durationMs: undefined });
    expect(parseDtmfBody(' *\r\n')).toMatchObject({ key: '*' });
    expect(parseDtmfBody('d')).toMatchObject({ key: 'D' });
    expect(parseDtmfBody('hookflash')).toMatchObject({ key: 'hookflash' });
  });

  it('refuses anything else', () => {
    expect(errorCode(parseDtmfBody(''))).toBe('empty');
    expect(errorCode(parseDtmfBody('55'))).toBe('invalid_signal');
    expect(errorCode(parseDtmfBody('Signal=5'))).toBe('invalid_signal');
    expect(errorCode(parseDtmfBody('x'.repeat(MAX_DTMF_BODY_BYTES + 1)))).toBe('too_long');
  });
});

describe('parseSipInfoDtmf', () => {
  it('dispatches on the media type, ignoring parameters and case', () => {
    expect(parseSipInfoDtmf('Application/DTMF-Relay; charset=utf-8', 'Signal=9\r\nDuration=160')).toMatchObject({ key: '9', durationMs: 160 });
    expect(parseSipInfoDtmf('application/dtmf', '0')).toMatchObject({ key: '0' });
    expect(errorCode(parseSipInfoDtmf('application/sdp', 'v=0'))).toBe('unsupported_content_type');
    expect(errorCode(parseSipInfoDtmf(undefined, '5'))).toBe('unsupported_content_type');
  });
});
