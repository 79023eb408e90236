import { describe, expect, it } from 'vitest';
import { maskAddress } from './address-mask.js';

describe('roster addresses as guests see them', () => {
  it('masks the middle of phone numbers, keeping the first 4 and last 2 digits', () => {
    expect(maskAddress('tel:+442071234589')).toBe('tel:+4420••••••89');
    expect(maskAddress('sip:+15551234567@carrier.example')).toBe('sip:+1555•••••67@carrier.example');
    expect(maskAddress('sip:0201234567@pbx.example;user=phone')).toBe('sip:0201••••67@pbx.example;user=phone');
  });

  it('leaves room-system URIs and short extensions as they are', () => {
    expect(maskAddress('sip:boardroom@acme.example')).toBe('sip:boardroom@acme.example');
    expect(maskAddress('sip:1234@pbx.example')).toBe('sip:1234@pbx.example');
  });
});
