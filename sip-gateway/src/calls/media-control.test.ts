import { describe, expect, it } from 'vitest';
import { PICTURE_FAST_UPDATE_BODY, isMediaControl, readMediaControl } from './media-control.js';

describe('SIP INFO media control (RFC 5168)', () => {
  it('reads our own picture_fast_update and the variants room systems send', () => {
    expect(readMediaControl(PICTURE_FAST_UPDATE_BODY)).toEqual({ kind: 'picture_fast_update' });
    // One line, no XML declaration, with a stream id (Polycom style).
    expect(readMediaControl('<media_control><vc_primitive><to_encoder><picture_fast_update></picture_fast_update></to_encoder><stream_id>1</stream_id></vc_primitive></media_control>')).toEqual({ kind: 'picture_fast_update' });
    expect(readMediaControl('<?xml version="1.0"?>\n<media_control>\n <vc_primitive>\n  <to_encoder>\n   <picture_fast_update />\n  </to_encoder>\n </vc_primitive>\n</media_control>')).toEqual({ kind: 'picture_fast_update' });
  });

  it('tells other requests and broken bodies apart, and never throws', () => {
    expect(readMediaControl('<media_control><general_error>oops</general_error></media_control>')).toEqual({ kind: 'unsupported' });
    expect(readMediaControl('<media_control><vc_primitive><to_encoder></to_encoder></vc_primitive></media_control>')).toEqual({ kind: 'unsupported' });
    // picture_fast_update outside to_encoder does not count.
    expect(readMediaControl('<media_control><picture_fast_update/></media_control>')).toEqual({ kind: 'unsupported' });
    expect(readMediaControl('')).toMatchObject({ kind: 'malformed' });
    expect(readMediaControl('<media_control><vc_primitive><to_encoder><picture_fast_update/>')).toMatchObject({ kind: 'malformed' });
    expect(readMediaControl('x'.repeat(5000))).toEqual({ kind: 'malformed', why: 'too_long' });
    for (let i = 0; i < 200; i++) {
      const cut = PICTURE_FAST_UPDATE_BODY.slice(0, Math.floor(Math.random() * PICTURE_FAST_UPDATE_BODY.length));
      expect(() => readMediaControl(cut + '\u0000<'.repeat(i % 7))).not.toThrow();
    }
  });

  it('recognises the content type with parameters and in any case', () => {
    expect(isMediaControl('application/media_control+xml')).toBe(true);
    expect(isMediaControl('Application/Media_Control+XML; charset=utf-8')).toBe(true);
    expect(isMediaControl('application/dtmf-relay')).toBe(false);
    expect(isMediaControl(undefined)).toBe(false);
  });
});
