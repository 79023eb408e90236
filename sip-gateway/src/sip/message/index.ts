/** Public face of the SIP message layer: parse, serialise, frame, and typed header helpers. */
export { SipParseError, SipParseErrorCode } from './errors.js';
export { SipRequest, SipResponse, type SipMessage, type HeaderEntry } from './message.js';
export { parseMessage, defaultParserLimits, type ParserLimits, type ParseResult, type ParseFailure } from './parser.js';
export { serializeMessage } from './serializer.js';
export { StreamFramer, type FramerEvent } from './framer.js';
export {
  canonicalHeaderName,
  parseVia,
  formatVia,
  parseNameAddr,
  formatNameAddr,
  parseCSeq,
  parseContentType,
  tagOf,
  type Via,
  type NameAddr,
  type CSeq,
  type ContentType,
} from './headers.js';
export { parseUri, formatUri, sipUri, cloneUri, isSipUri, formatHost, type Uri, type SipUri, type OpaqueUri } from './uri.js';
export { quote, unquote, parseParams, formatParams, splitComma, type Params } from './syntax.js';
export { createResponse, reasonPhrases, newBranch, newTag, newCallId } from './response.js';
