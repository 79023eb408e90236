import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { RtpLegPort, type ParticipantHandle } from '../../../server/src/meetings/index.js';
import type { MediaRoomApi } from '../../../sfu/src/index.js';
import type { RoomSendTarget } from '../media/engine/types.js';

const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

export interface CallerAudioLeg {
  /** Where the media engine sends the caller's Opus (with the payload type, SSRC and extension id the producer expects). */
  target: RoomSendTarget;
  /** The caller's mic producer in the SFU. */
  producerId: string;
  /** The core's port for the leg (its producer events tell host mute and unmute). */
  leg: RtpLegPort;
}

/**
 * The caller's audio in the SFU: an RTP leg with one comedia, RTCP-muxed PlainTransport and one
 * Opus mic producer carrying the RFC 6464 audio-level extension (so the caller counts for active
 * speaker and last-N), with an SSRC we choose — the media engine sends from loopback, so there is
 * nothing to learn. The leg receives nothing: the caller hears the room through the mixer. Its
 * capabilities stay Opus-only in video mode too, so the SFU sends it no video: the media engine
 * forwards the meeting's video to the caller (meeting-video.ts).
 */
export async function attachCallerAudioLeg(
  handle: ParticipantHandle<MediaRoomApi>,
  opts: { audioLevelExtensionId: number; logger: Logger; /** 'video' when the call negotiated video: the leg then also produces its camera (caller-video-leg.ts). */ mode?: 'audio-only' | 'video' },
): Promise<CallerAudioLeg> {
  const payloadType = await handle.readMediaRoom((room) => room.rtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === 'audio/opus')?.preferredPayloadType);
  if (payloadType === undefined) throw new Error('the meeting has no Opus codec');
  const extId = opts.audioLevelExtensionId;
  const leg = await handle.attachMedia(async (room) =>
    new RtpLegPort(
      await room.addRtpLeg(handle.participantId, {
        mode: opts.mode ?? 'audio-only',
        maxIncomingBitrateBps: 0,
        maxOutgoingBitrateBps: 0,
        rtpCapabilities: {
          codecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: payloadType, parameters: {}, rtcpFeedback: [] }],
          headerExtensions: [{ kind: 'audio', uri: AUDIO_LEVEL_URI, preferredId: extId, direction: 'sendrecv' }],
        },
      }),
      opts.logger,
    ),
  );
  const transport = await leg.sfu.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: true });
  const ssrc = randomInt(1, 0xffffffff);
  const producerId = await leg.produce({
    transportId: transport.id,
    kind: 'audio',
    source: 'mic',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] }],
      headerExtensions: [{ uri: AUDIO_LEVEL_URI, id: extId }],
      encodings: [{ ssrc }],
      rtcp: { cname: `sip-${handle.participantId.slice(0, 8)}`, reducedSize: false },
    },
  });
  return { target: { ip: transport.ip, port: transport.port, payloadType, ssrc, audioLevelExtensionId: extId }, producerId, leg };
}
