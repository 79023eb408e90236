/**
 * SIP INFO `application/media_control+xml` (RFC 5168): the XML schema for video fast update. A room
 * system that negotiated neither RTCP PLI nor FIR is asked for a keyframe with one of these, and may
 * ask us the same way. Pure; reading never throws (the body is network input).
 */

export const MEDIA_CONTROL_CONTENT_TYPE = 'application/media_control+xml';

/** A media control body is a few hundred bytes; anything much longer is not one. */
export const MAX_MEDIA_CONTROL_BYTES = 4096;

/** The one request RFC 5168 defines: "send me a full picture" (an intra frame). */
export const PICTURE_FAST_UPDATE_BODY =
  '<?xml version="1.0" encoding="utf-8" ?>\r\n' +
  '<media_control>\r\n' +
  '  <vc_primitive>\r\n' +
  '    <to_encoder>\r\n' +
  '      <picture_fast_update/>\r\n' +
  '    </to_encoder>\r\n' +
  '  </vc_primitive>\r\n' +
  '</media_control>\r\n';

/** Is this INFO a media control body (whatever it asks)? Content-Type parameters are ignored. */
export function isMediaControl(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === MEDIA_CONTROL_CONTENT_TYPE;
}

export type MediaControlRequest = { kind: 'picture_fast_update' } | { kind: 'unsupported' } | { kind: 'malformed'; why: string };

/**
 * What a media control body asks: `picture_fast_update` (inside `media_control/vc_primitive/to_encoder`),
 * `unsupported` (a well-formed body asking something else, e.g. a `general_error`), or `malformed`.
 * Element names only are checked, in order; stream ids are ignored (a room system has one encoder per m-line and
 * does not name which).
 */
export function readMediaControl(body: string): MediaControlRequest {
  if (body.length > MAX_MEDIA_CONTROL_BYTES) return { kind: 'malformed', why: 'too_long' };
  const text = body.replace(/<\?xml[^>]*\?>/i, '').replace(/<!--[\s\S]*?-->/g, '');
  if (!/<\s*media_control[\s>]/i.test(text) || !/<\/\s*media_control\s*>/i.test(text)) return { kind: 'malformed', why: 'no_media_control' };
  const encoder = /<\s*to_encoder\s*>([\s\S]*?)<\/\s*to_encoder\s*>/i.exec(text);
  if (encoder && /<\s*picture_fast_update\s*\/?\s*>/i.test(encoder[1]!) && /<\s*vc_primitive[\s>]/i.test(text)) return { kind: 'picture_fast_update' };
  return { kind: 'unsupported' };
}
