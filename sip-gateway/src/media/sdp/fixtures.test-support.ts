/** SDP offers shaped like real UAs' (real-offers.e2e.test.ts takes sipp's and baresip's from the binaries themselves). */
const sdp = (...lines: string[]) => lines.join('\r\n') + '\r\n';

/** baresip 1.0 as Debian's sends it, with opus loaded first and `rtcp_mux yes` in its config. */
export const BARESIP_OFFER = sdp(
  'v=0',
  'o=- 1187263785 4009513209 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 10218 RTP/AVP 96 9 0 8 101',
  'b=AS:128',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 stereo=1;sprop-stereo=1',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=sendrecv',
  'a=label:1',
  'a=rtcp-rsize',
  'a=rtcp-mux',
  'a=ssrc:2785290017 cname:sip:alice@example.com',
);

/** sipp's uac scenario: PCMU only, no rtpmap, no telephone-event. */
export const SIPP_OFFER = sdp(
  'v=0',
  'o=user1 53655765 2353687637 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
);

/** A desk phone / room system (Polycom, Cisco): G.722 first, several codecs, telephone-event, a=rtcp, ptime. */
export const DESK_PHONE_OFFER = sdp(
  'v=0',
  'o=- 1700000000 1700000000 IN IP4 10.1.2.3',
  's=Polycom IP Phone',
  'c=IN IP4 10.1.2.3',
  't=0 0',
  'a=sendrecv',
  'm=audio 2222 RTP/AVP 9 102 0 8 18 127',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:102 G7221/16000',
  'a=fmtp:102 bitrate=32000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:127 telephone-event/8000',
  'a=rtcp:2223 IN IP4 10.1.2.3',
  'a=ptime:20',
);

/** RTP/SAVP with two crypto lines, the first a suite we do not support. */
export const SAVP_TWO_CRYPTO_OFFER = sdp(
  'v=0',
  'o=- 42 1 IN IP4 198.51.100.7',
  's=-',
  'c=IN IP4 198.51.100.7',
  't=0 0',
  'm=audio 30000 RTP/SAVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:K5ugKVAPv4DaXf4ueSEn1aOmXRbOIhnvq2QqHyhjeM0Cn16v1O0uRDx7M+lMyQ==|2^31',
  'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^31',
  'a=sendrecv',
);

export const VIDEO_CALL_OFFER = sdp(
  'v=0',
  'o=- 99 1 IN IP4 203.0.113.5',
  's=-',
  'c=IN IP4 203.0.113.5',
  't=0 0',
  'm=video 40002 RTP/AVP 97 96',
  'a=rtpmap:97 H264/90000',
  'a=rtpmap:96 VP8/90000',
  'm=audio 40000 RTP/AVP 8 0 101',
  'a=rtpmap:101 telephone-event/8000',
  'm=application 40004 UDP/BFCP *',
  'm=audio 40006 RTP/AVP 0',
);

export { sdp };
