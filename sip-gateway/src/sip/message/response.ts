/** Building responses and ids the way RFC 3261 §8.2.6 and §17 require. */
import { randomBytes } from 'node:crypto';
import { SipResponse, type SipRequest } from './message.js';

export const reasonPhrases: Record<number, string> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  200: 'OK', 202: 'Accepted', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 407: 'Proxy Authentication Required', 408: 'Request Timeout', 415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme', 420: 'Bad Extension', 422: 'Session Interval Too Small', 423: 'Interval Too Brief',
  480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist', 482: 'Loop Detected', 483: 'Too Many Hops',
  486: 'Busy Here', 487: 'Request Terminated', 488: 'Not Acceptable Here', 491: 'Request Pending', 500: 'Server Internal Error',
  501: 'Not Implemented', 503: 'Service Unavailable', 504: 'Server Time-out', 505: 'Version Not Supported',
  513: 'Message Too Large', 603: 'Decline',
};

/**
 * A response to `req`: copies Via, From, Call-ID, CSeq and To, adding `toTag` to To when given and
 * To has none (never on 100 Trying).
 */
export function createResponse(req: SipRequest, status: number, reason?: string, toTag?: string): SipResponse {
  const res = new SipResponse(status, reason ?? reasonPhrases[status] ?? (status < 300 ? 'OK' : 'Error'));
  for (const v of req.getAll('Via')) res.append('Via', v);
  const from = req.get('From');
  const to = req.get('To');
  const callId = req.get('Call-ID');
  const cseq = req.get('CSeq');
  if (from !== undefined) res.append('From', from);
  if (to !== undefined) res.append('To', status > 100 && toTag && req.toTag === undefined ? `${to};tag=${toTag}` : to);
  if (callId !== undefined) res.append('Call-ID', callId);
  if (cseq !== undefined) res.append('CSeq', cseq);
  if (status === 100) {
    const ts = req.get('Timestamp');
    if (ts !== undefined) res.append('Timestamp', ts);
  }
  return res;
}

const hex = (n: number) => randomBytes(n).toString('hex');
/** RFC 3261 branch with the magic cookie. */
export const newBranch = () => `z9hG4bK${hex(10)}`;
export const newTag = () => hex(6);
export const newCallId = () => hex(16);
