import { describe, expect, it } from 'vitest';
import { CALL_BANDWIDTHS_KBPS, joinMode, requestSchemas } from '../../server/src/protocol/index.js';
import { BANDWIDTHS, JOIN_MODES, formatBandwidth, validateJoinForm, type JoinFormValues } from '../src/ui/validation.js';

const good: JoinFormValues = { address: 'Team.Room@Convene.Example', displayName: '  Ada Lovelace ', pin: '', mode: 'video', bandwidthKbps: '1200' };

describe('validateJoinForm', () => {
  it('cleans a good form into a join request the server schema accepts', () => {
    const r = validateJoinForm({ ...good, pin: '1234' });
    expect(r).toEqual({ ok: true, value: { address: 'team.room@convene.example', displayName: 'Ada Lovelace', pin: '1234', mode: 'video', bandwidthKbps: 1200 } });
    if (r.ok) expect(requestSchemas.join.safeParse(r.value).success).toBe(true);
  });

  it('leaves the PIN out when empty', () => {
    const r = validateJoinForm(good);
    expect(r.ok && 'pin' in r.value).toBe(false);
  });

  it('accepts a numeric meeting ID as the address', () => {
    expect(validateJoinForm({ ...good, address: '4711' }).ok).toBe(true);
  });

  it.each([
    [{ displayName: '   ' }, 'displayName', 'Enter your name so others know who you are.'],
    [{ displayName: 'x'.repeat(65) }, 'displayName', 'Your name can be at most 64 characters.'],
    [{ address: '' }, 'address', 'Enter the meeting address, for example team.room@convene.example.'],
    [{ address: 'not an address' }, 'address', 'That does not look like a meeting address (name@domain) or a meeting ID.'],
    [{ pin: '12' }, 'pin', 'A PIN is 4 to 20 digits.'],
    [{ pin: '12ab' }, 'pin', 'A PIN is 4 to 20 digits.'],
    [{ pin: '1'.repeat(21) }, 'pin', 'A PIN is 4 to 20 digits.'],
    [{ mode: 'hologram' }, 'mode', 'Choose how to join.'],
    [{ bandwidthKbps: '999' }, 'bandwidthKbps', 'Choose a call bandwidth.'],
  ] as const)('refuses %j with a message on %s', (patch, field, message) => {
    const r = validateJoinForm({ ...good, ...patch });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors[field]).toBe(message);
      expect(Object.keys(r.errors)).toEqual([field]);
    }
  });

  it('offers exactly the bandwidths and join modes the protocol accepts', () => {
    expect([...BANDWIDTHS]).toEqual([...CALL_BANDWIDTHS_KBPS]);
    expect(JOIN_MODES.map((m) => m.value)).toEqual(joinMode.options);
  });

  it('formats bandwidths for people', () => {
    expect(BANDWIDTHS.map(formatBandwidth)).toEqual(['256 kbps', '576 kbps', '1.2 Mbps', '2.4 Mbps', '4 Mbps']);
  });
});
