import { describe, expect, it } from 'vitest';
import { parseMessage, type SipRequest } from '../sip/index.js';
import { callerIdentity, stripScheme } from './caller-identity.js';

function invite(headers: string[]): SipRequest {
  const text = [
    'INVITE sip:demo.meeting@convene.example SIP/2.0',
    'Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-1',
    'To: <sip:demo.meeting@convene.example>',
    'Call-ID: c1@10.0.0.5',
    'CSeq: 1 INVITE',
    'Max-Forwards: 70',
    ...headers,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const r = parseMessage(Buffer.from(text));
  if (!r.ok) throw new Error(r.error.message);
  return r.message as SipRequest;
}

describe('who is calling (roster and records)', () => {
  it('takes the From display name, unquoted, and the From address without parameters', () => {
    expect(callerIdentity(invite(['From: "Board Room \\"A\\"" <sip:board@acme.example;transport=tcp>;tag=1']))).toEqual({ displayName: 'Board Room "A"', address: 'sip:board@acme.example' });
  });

  it('prefers P-Asserted-Identity (a carrier\'s number) when present', () => {
    const id = callerIdentity(invite(['From: <sip:anonymous@anonymous.invalid>;tag=1', 'P-Asserted-Identity: "Alice" <tel:+442071234567>']));
    expect(id).toEqual({ displayName: 'Alice', address: 'tel:+442071234567' });
  });

  it('falls back to the user part, strips control characters and bounds the length', () => {
    expect(callerIdentity(invite(['From: <sip:+15551234567@carrier.example>;tag=1'])).displayName).toBe('+15551234567');
    expect(callerIdentity(invite([`From: "${'x'.repeat(100)}\u0007" <sip:a@b.example>;tag=1`])).displayName).toBe('x'.repeat(64));
    expect(callerIdentity(invite(['From: <sip:b.example>;tag=1']))).toEqual({ displayName: 'b.example', address: 'sip:b.example' });
  });

  it('stripScheme gives the administration\'s endpoint address', () => {
    expect(stripScheme('sips:Board@acme.example')).toBe('Board@acme.example');
  });
});
