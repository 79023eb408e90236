import { describe, expect, it } from 'vitest';
import { errorCodes } from '../errors.js';
import { MeetingError, refusalTable, sipResponseFor } from './errors.js';

describe('the refusal table', () => {
  it('answers a SIP call per refusal: full and licence limits differ, locked and PIN refusals are 403', () => {
    expect(sipResponseFor('meeting_full').status).toBe(486);
    expect(sipResponseFor('licence_limit').status).toBe(503);
    expect(sipResponseFor('meeting_locked')).toEqual({ status: 403, reason: 'Meeting Locked' });
    expect(sipResponseFor('wrong_pin').status).toBe(403);
    expect(sipResponseFor('meeting_not_found').status).toBe(404);
    // A protocol-only code has no SIP meaning: a call that somehow meets it gets a server error.
    expect(sipResponseFor('hello_required').status).toBe(500);
  });

  it('is the registry the HTTP layer uses: each row has the HTTP status of its code and one row per code', () => {
    const rows = refusalTable();
    expect(new Set(rows.map((r) => r.code)).size).toBe(rows.length);
    for (const r of rows) {
      expect(errorCodes().get(r.code)?.http).toBe(r.http);
      expect(r.signaling).toBe(r.code);
    }
    expect(new MeetingError('meeting_locked', 'locked').httpStatus).toBe(423);
  });

});

/**
 * Compile-time check, enforced by `npm run typecheck` (part of `npm test`): a refusal code that is not
 * in the table must not compile, and an unused @ts-expect-error fails the typecheck. Never called.
 */
export function codesOutsideTheTableDoNotCompile(): MeetingError {
  // @ts-expect-error 'locked_out_forever' is not a row of the refusal table
  return new MeetingError('locked_out_forever', 'no');
}
