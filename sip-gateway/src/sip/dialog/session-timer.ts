/** RFC 4028 session timer values: parsing Session-Expires and deciding who refreshes. */
import { parseParams, type SipMessage } from '../message/index.js';

export interface SessionExpires {
  seconds: number;
  refresher: 'uac' | 'uas' | undefined;
}

export function readSessionExpires(msg: SipMessage): SessionExpires | undefined {
  const v = msg.get('Session-Expires');
  if (v === undefined) return undefined;
  const m = /^(\d{1,10})(.*)$/.exec(v.trim());
  if (!m) return undefined;
  const seconds = Number(m[1]);
  let refresher: SessionExpires['refresher'];
  try {
    const r = parseParams(m[2] ?? '', 'Session-Expires').get('refresher');
    if (r === 'uac' || r === 'uas') refresher = r;
  } catch {
    return undefined;
  }
  return { seconds, refresher };
}

/** When the refresher should refresh (half the interval) and when the other side gives up. */
export function refreshDelayMs(seconds: number): number {
  return (seconds * 1000) / 2;
}

export function expiryDelayMs(seconds: number): number {
  return (seconds - Math.min(32, seconds / 3)) * 1000;
}
