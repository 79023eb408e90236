import { describe, expect, it } from 'vitest';
import { errorCodes } from '../errors.js';
import { AdminErrors } from './errors.js';

describe('admin error codes', () => {
  it('are registered with an HTTP status and a description', () => {
    for (const [code, info] of Object.entries(AdminErrors)) {
      expect(errorCodes().get(code)).toBe(info);
      expect(info.http).toBeGreaterThanOrEqual(400);
      expect(info.description.length).toBeGreaterThan(10);
    }
  });

  it('refusals a user must act on are client errors, not 5xx', () => {
    for (const code of ['no_licence_available', 'domain_not_verified', 'invalid_address', 'address_taken', 'plan_not_orderable', 'byoc_exceeds_endpoints'] as const) {
      expect(AdminErrors[code].http).toBeLessThan(500);
    }
  });
});
