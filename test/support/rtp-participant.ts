import { randomInt } from 'node:crypto';
import pino from 'pino';
import { RtpLegPort, type ParticipantHandle } from '../../server/src/meetings/index.js';
import type { MediaRoomApi } from '../../sfu/src/media/index.js';
import type { RtpCapabilities } from '../../sfu/src/index.js';
import { RtpPeer } from '../../sfu/src/media/testing/rtp-peer.js';

/** The payload type our fake room system uses for Opus. */
export const OPUS_PT = 111;
const opus: NonNullable<RtpCapabilities['codecs']>[number] = { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: OPUS_PT, parameters: {}, rtcpFeedback: [] };

/**
 * Gives a participant joined through MeetingsApi an audio RTP leg on the real worker — a comedia,
 * RTCP-muxed PlainTransport with one Opus producer — and streams 20 ms Opus packets into it from a
 * UDP socket (bounded by `maxPackets`). What the SIP gateway will do for a caller, minus SDP.
 */
export async function attachOpusRtpLeg(handle: ParticipantHandle<MediaRoomApi>, opts: { maxPackets: number }) {
  const leg = await handle.attachMedia(async (room) =>
    new RtpLegPort(
      await room.addRtpLeg(handle.participantId, { mode: 'audio-only', maxIncomingBitrateBps: 0, maxOutgoingBitrateBps: 0, rtpCapabilities: { codecs: [opus], headerExtensions: [] } }),
      pino({ level: 'silent' }),
    ),
  );
  const transport = await leg.sfu.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: true });
  const ssrc = randomInt(1, 2 ** 31);
  await leg.produce({
    transportId: transport.id,
    kind: 'audio',
    source: 'mic',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: OPUS_PT, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] }],
      headerExtensions: [],
      encodings: [{ ssrc }],
      rtcp: { cname: 'rtp-participant', reducedSize: false },
    },
  });
  const peer = await RtpPeer.open();
  const stopStream = peer.stream(transport.port, { payloadType: OPUS_PT, ssrc, timestampStep: 960, maxPackets: opts.maxPackets }, transport.ip);
  return { leg, transport, ssrc, peer, stopStream };
}
