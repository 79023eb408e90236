import { describe, expect, it } from 'vitest';
import { hashPin, verifyPin } from './pins.js';

describe('PIN hashing', () => {
  it('hashes with a fresh salt and verifies only the right PIN', async () => {
    const a = await hashPin('246810');
    const b = await hashPin('246810');
    expect(a).not.toBe(b);
    expect(a).not.toContain('246810');
    expect(await verifyPin('246810', a)).toBe(true);
    expect(await verifyPin('246811', a)).toBe(false);
    expect(await verifyPin('246810', 'garbage')).toBe(false);
  });
});
