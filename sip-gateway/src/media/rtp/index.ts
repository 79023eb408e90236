/**
 * RTP for the SIP gateway's caller-facing legs: RTP packets and header extensions (RFC 3550,
 * 8285, 6464), RTCP reports and reception statistics (RFC 3550 §6), SRTP/SRTCP with SDES keys
 * (RFC 3711, 4568). Pure code over byte arrays — no sockets — so it runs in the media workers.
 */
export {
  parseRtp,
  readAudioLevel,
  writeRtpPacket,
  isRtcp,
  rtpHeaderLength,
  RtpWriteError,
  ONE_BYTE_EXTENSION_PROFILE,
  TWO_BYTE_EXTENSION_PROFILE,
  RTP_HEADER_BYTES,
  type RtpPacketView,
  type RtpHeaderFields,
  type RtpWriteErrorCode,
} from './rtp-packet.js';
export {
  buildSenderReport,
  buildReceiverReport,
  buildBye,
  parseRtcp,
  ntpFromUnixMs,
  ntpMiddle32FromUnixMs,
  RtcpWriteError,
  RTCP_SR,
  RTCP_RR,
  RTCP_SDES,
  RTCP_BYE,
  type ReportBlock,
  type RtcpPacket,
  type RtcpWriteErrorCode,
} from './rtcp.js';
export { ReceptionStats } from './reception-stats.js';
export { SrtpContext, SrtpError, SRTP_SUITES, SRTP_KEY_AND_SALT_BYTES, type SrtpSuite, type SrtpFailures, type SrtpErrorCode } from './srtp-context.js';
export {
  parseCryptoAttribute,
  makeCryptoAttribute,
  isSdesCryptoError,
  SDES_CRYPTO_ERROR_CODES,
  type SdesCrypto,
  type SdesCryptoError,
  type SdesCryptoErrorCode,
} from './sdes-crypto.js';
