import { randomInt } from 'node:crypto';
import type { RtpLegPort, ParticipantHandle } from '../../../server/src/meetings/index.js';
import type { MediaRoomApi } from '../../../sfu/src/index.js';
import type { VideoSendTarget } from '../media/engine/types.js';
import type { NegotiatedVideo } from '../media/sdp/index.js';

export interface CallerVideoProducer {
  /** Where the media engine relays the caller's video (our SSRC, the room's payload type). */
  target: VideoSendTarget;
  producerId: string;
  transportId: string;
  transport: { id: string; ip: string; port: number };
}

/**
 * The caller's video in the SFU: on its RTP leg (opened in `video` mode), one comedia, RTCP-muxed
 * PlainTransport (role 'video' for main, 'presentation' for slides) and one producer — `camera`,
 * or `screen` for the caller's content while it presents — with the negotiated codec under the
 * room's payload type and parameters (the engine rewrites PT and SSRC, so the producer's are ours;
 * a Baseline endpoint's stream is Constrained Baseline in practice, see media/sdp/README). mediasoup's
 * PLI/FIR for it come back over RTCP to the engine socket that sends, which relays them to the caller.
 */
export async function attachCallerVideo(
  handle: ParticipantHandle<MediaRoomApi>,
  leg: RtpLegPort,
  video: NegotiatedVideo,
  source: 'camera' | 'screen',
  /** A transport of this leg made earlier for the same m-line (the slides line presents more than once). */
  existing?: { id: string; ip: string; port: number },
): Promise<CallerVideoProducer> {
  const mime = `video/${video.codec.name}`.toLowerCase();
  const roomCodec = await handle.readMediaRoom((room) =>
    room.rtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === mime && c.preferredPayloadType === video.codec.payloadType),
  );
  if (!roomCodec) throw new Error(`the meeting has no ${video.codec.name} codec with payload type ${video.codec.payloadType}`);
  const transport = existing ?? (await leg.sfu.createRtpTransport({ role: video.role === 'slides' ? 'presentation' : 'video', comedia: true, rtcpMux: true }));
  const ssrc = randomInt(1, 0xffffffff);
  const producerId = await leg.produce({
    transportId: transport.id,
    kind: 'video',
    source,
    rtpParameters: {
      codecs: [{
        mimeType: roomCodec.mimeType,
        payloadType: video.codec.payloadType,
        clockRate: 90000,
        parameters: { ...(roomCodec.parameters ?? {}) },
        rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
      }],
      encodings: [{ ssrc }],
      rtcp: { cname: `sip-${handle.participantId.slice(0, 8)}`, reducedSize: false },
    },
  });
  return { target: { ip: transport.ip, port: transport.port, ssrc, payloadType: video.codec.payloadType }, producerId, transportId: transport.id, transport: { id: transport.id, ip: transport.ip, port: transport.port } };
}
