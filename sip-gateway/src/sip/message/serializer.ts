/** Serialises messages to wire bytes; Content-Length is always written from the actual body. */
import type { SipMessage } from './message.js';
import { formatUri } from './uri.js';

export function serializeMessage(msg: SipMessage): Buffer {
  let head =
    msg.kind === 'request' ? `${msg.method} ${formatUri(msg.uri)} SIP/2.0\r\n` : `SIP/2.0 ${msg.status} ${msg.reason}\r\n`;
  for (const h of msg.headers) {
    if (h.name === 'Content-Length') continue;
    head += `${h.name}: ${h.value}\r\n`;
  }
  head += `Content-Length: ${msg.body.length}\r\n\r\n`;
  const headBuf = Buffer.from(head, 'utf8');
  return msg.body.length === 0 ? headBuf : Buffer.concat([headBuf, msg.body]);
}
