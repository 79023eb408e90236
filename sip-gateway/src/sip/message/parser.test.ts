import { describe, expect, it } from 'vitest';
import { invalidCases, raw, validCases } from './fixtures/torture.js';
import {
  formatNameAddr,
  formatUri,
  isSipUri,
  parseMessage,
  parseUri,
  serializeMessage,
  SipRequest,
  type SipMessage,
} from './index.js';

function parseOk(buf: Buffer): SipMessage {
  const r = parseMessage(buf);
  if (!r.ok) throw new Error(`expected a message, got ${r.error.code}: ${r.error.message}`);
  return r.message;
}

describe('parser: torture-style valid messages', () => {
  it.each(validCases.map((c) => [c.name, c] as const))('accepts %s', (_name, c) => {
    const msg = parseOk(raw(c));
    // Every message survives a serialise → parse round trip with the same typed view.
    const again = parseOk(serializeMessage(msg));
    expect(again.callId).toBe(msg.callId);
    expect(again.cseq).toEqual(msg.cseq);
    expect(again.vias.map((v) => v.params.get('branch'))).toEqual(msg.vias.map((v) => v.params.get('branch')));
    expect(again.body.equals(msg.body)).toBe(true);
  });

  it('unfolds, expands compact forms and splits comma lists in the tortuous INVITE', () => {
    const msg = parseOk(raw(validCases[0]!)) as SipRequest;
    expect(msg.method).toBe('INVITE');
    expect(msg.to.params.get('tag')).toBe('1918181833n');
    expect(msg.fromTag).toBe('98asjd8');
    expect(msg.from.displayName).toBe('"J Rosenberg \\\\\\""');
    expect(msg.maxForwards).toBe(68);
    expect(msg.cseq).toEqual({ seq: 9, method: 'INVITE' });
    expect(msg.vias.map((v) => [v.transport, v.host, v.params.get('branch')])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(msg.get('NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(msg.get('Subject')).toBe('');
    const contacts = msg.contacts;
    expect(contacts !== '*' && contacts[0]?.params.get('q')).toBe('0.33');
    expect(msg.routes[0]?.uri && isSipUri(msg.routes[0].uri) && msg.routes[0].uri.params.has('lr')).toBe(true);
    expect(msg.body.toString()).toBe('v=0\r');
  });

  it('keeps escapes in URIs verbatim and finds the user part correctly', () => {
    const a = parseOk(raw(validCases[2]!)) as SipRequest;
    expect(isSipUri(a.uri) && a.uri.user).toBe('sips%3Auser%40example.com');
    expect(isSipUri(a.uri) && a.uri.host).toBe('example.net');
    const b = parseOk(raw(validCases[3]!)) as SipRequest;
    expect(isSipUri(b.uri) && b.uri.user).toBe('user;par=u%40example.net');
  });

  it('parses IPv6 references without brackets in the model and writes them back with brackets', () => {
    const msg = parseOk(raw(validCases[5]!)) as SipRequest;
    expect(isSipUri(msg.uri) && [msg.uri.host, msg.uri.port]).toEqual(['2001:db8::10', 5070]);
    expect(msg.topVia).toMatchObject({ host: '2001:db8::9:1', port: 6050 });
    expect(msg.topVia.params.get('received')).toBe('2001:db8::9:255');
    expect(formatUri(msg.uri)).toBe('sip:room@[2001:db8::10]:5070;transport=udp');
  });

  it('keeps quoted parameter values intact (a ";" inside quotes is not a separator)', () => {
    const msg = parseOk(raw(validCases[6]!));
    expect(msg.vias[2]?.params.get('x-ext')).toBe('"quoted;value"');
    expect(msg.vias.map((v) => v.transport)).toEqual(['UNKNOWN', 'SCTP', 'TLS-SCTP']);
  });

  it('discards bytes beyond Content-Length and keeps bodies as bytes', () => {
    expect(parseOk(raw(validCases[12]!)).body.toString()).toBe('hello');
    const mp = parseOk(raw(validCases[8]!));
    expect(Buffer.isBuffer(mp.body)).toBe(true);
    expect(mp.contentType).toMatchObject({ type: 'multipart', subtype: 'mixed' });
  });

  it('reads responses with unusual reason phrases', () => {
    const r = parseOk(raw(validCases[9]!));
    expect(r.kind === 'response' && r.reason).toContain('простое');
    const e = parseOk(raw(validCases[10]!));
    expect(e.kind === 'response' && [e.status, e.reason]).toEqual([100, '']);
  });
});

describe('parser: malformed messages give typed errors', () => {
  it.each(invalidCases.map((c) => [c.name, c] as const))('rejects %s', (_name, c) => {
    const r = parseMessage(raw(c));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(c.code);
    const answerable =
      r.requestContext !== undefined &&
      ['via', 'from', 'to', 'call-id', 'cseq'].every((n) => r.requestContext?.headers.some((h) => h.name.toLowerCase() === n));
    expect(answerable).toBe(c.answerable);
  });

  it('reports a message without the blank line as incomplete', () => {
    const r = parseMessage(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n'));
    expect(r.ok === false && r.error.code).toBe('INCOMPLETE');
  });

  it('enforces size, header-count and line-length limits', () => {
    const limits = { maxMessageBytes: 2000, maxHeaders: 20, maxLineLength: 200 };
    const big = raw({ name: 'big', lines: ['OPTIONS sip:a@b SIP/2.0', `X: ${'a'.repeat(3000)}`] });
    expect(parseMessage(big, limits)).toMatchObject({ ok: false, error: { code: 'MESSAGE_TOO_LARGE' } });
    const longLine = raw({ name: 'long', lines: ['OPTIONS sip:a@b SIP/2.0', `X: ${'a'.repeat(500)}`] });
    expect(parseMessage(longLine, limits)).toMatchObject({ ok: false, error: { code: 'LINE_TOO_LONG' } });
    const many = raw({ name: 'many', lines: ['OPTIONS sip:a@b SIP/2.0', ...Array.from({ length: 30 }, (_, i) => `X-${i}: y`)] });
    expect(parseMessage(many, limits)).toMatchObject({ ok: false, error: { code: 'TOO_MANY_HEADERS' } });
    const folded = raw({ name: 'folded', lines: ['OPTIONS sip:a@b SIP/2.0', 'X: a', ...Array.from({ length: 10 }, () => ` ${'b'.repeat(30)}`)] });
    expect(parseMessage(folded, limits)).toMatchObject({ ok: false, error: { code: 'LINE_TOO_LONG' } });
  });

  it('rejects headers that are not valid UTF-8', () => {
    const buf = Buffer.concat([Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nSubject: '), Buffer.from([0xff, 0xfe]), Buffer.from('\r\n\r\n')]);
    expect(parseMessage(buf)).toMatchObject({ ok: false, error: { code: 'BAD_ENCODING' } });
  });
});

describe('URIs and name-addr', () => {
  it('parses user, password, host, port, params and headers of SIP and SIPS URIs', () => {
    const u = parseUri('sips:alice:secret@Example.COM:5061;transport=tls;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent');
    expect(u).toMatchObject({ scheme: 'sips', user: 'alice', password: 'secret', host: 'Example.COM', port: 5061 });
    expect(isSipUri(u) && [...u.params]).toEqual([['transport', 'tls'], ['lr', null], ['maddr', '239.255.255.1']]);
    expect(isSipUri(u) && [...u.headers]).toEqual([['subject', 'project%20x'], ['priority', 'urgent']]);
    expect(formatUri(u)).toBe('sips:alice:secret@Example.COM:5061;transport=tls;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent');
  });

  it('keeps other schemes opaque and rejects broken SIP URIs', () => {
    expect(parseUri('tel:+1-201-555-0123')).toEqual({ scheme: 'tel', opaque: '+1-201-555-0123' });
    for (const bad of ['sip:', 'sip:a@b@c', 'sip:host:99999', 'sip:[::1', 'sip:[nothex]', 'sip:bad_host!', 'sip:a@b;=x', '1sip:x']) {
      expect(() => parseUri(bad), bad).toThrow(expect.objectContaining({ code: 'BAD_URI' }));
    }
  });

  it('writes name-addr with quoted display names and header params', () => {
    const msg = parseOk(raw(validCases[4]!));
    const c = msg.contacts;
    expect(c !== '*' && c[0] && formatNameAddr(c[0])).toBe('"caller" <sip:caller@192.0.2.10>;expires=60');
  });
});
