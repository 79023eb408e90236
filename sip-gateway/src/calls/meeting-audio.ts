import type { Logger } from 'pino';
import type { AudioTapApi, MediaRoomApi, TappedProducer } from '../../../sfu/src/index.js';
import type { ParticipantHandle } from '../../../server/src/meetings/index.js';
import type { MediaEngine, RoomAudio } from '../media/engine/types.js';
import { openLinkedTap } from './meeting-tap.js';
import { SharedPerMeeting } from './shared-per-meeting.js';

/** A meeting's audio as the calls in it share it: the engine's room mixer fed by the SFU's audio tap. */
export interface MeetingAudio {
  readonly room: RoomAudio;
  /** Gives back one call's hold; the last one closes the tap and the mixer. */
  release(): void;
}

interface Bridge {
  room: RoomAudio;
  tap: AudioTapApi;
}

/**
 * One bridge per meeting with SIP audio, not one per call: the SFU's audio tap (every audio
 * producer of the room, as plain RTP) goes to the engine's room mixer, and the mixer learns each
 * tapped producer's SSRC from the tap's events. Reference-counted by the calls in the meeting.
 */
export class MeetingAudioBridges {
  private readonly bridges = new SharedPerMeeting<Bridge>((bridge) => this.close(bridge));

  constructor(
    private readonly engine: MediaEngine,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.bridges.size;
  }

  async acquire(handle: ParticipantHandle<MediaRoomApi>): Promise<MeetingAudio> {
    const share = await this.bridges.acquire(handle.meetingId, () => this.open(handle));
    return { room: share.value.room, release: share.release };
  }

  private async open(handle: ParticipantHandle<MediaRoomApi>): Promise<Bridge> {
    const room = await this.engine.openRoom(handle.meetingId);
    const tap = await openLinkedTap<AudioTapApi>(room, async () => await handle.readMediaRoom((media) => media.openAudioTap({ comedia: false, rtcpMux: true, tapRtpLegs: false })));
    const log = this.logger.child({ room: handle.meetingId });
    const add = (p: TappedProducer) => {
      const ssrc = p.rtpParameters.encodings?.[0]?.ssrc;
      const payloadType = p.rtpParameters.codecs[0]?.payloadType;
      if (ssrc === undefined || payloadType === undefined) return;
      room.addTapSource({ producerId: p.producerId, participantId: p.participantId, ssrc, payloadType, paused: p.paused }).catch((err: unknown) => log.warn({ err }, 'mixer: tap source not added'));
    };
    tap.events.on('producerTapped', add);
    tap.events.on('producerUntapped', (producerId) => void room.removeTapSource(producerId).catch(() => undefined));
    tap.events.on('producerPaused', (producerId) => void room.setTapSourcePaused(producerId, true).catch(() => undefined));
    tap.events.on('producerResumed', (producerId) => void room.setTapSourcePaused(producerId, false).catch(() => undefined));
    tap.events.on('closed', (reason) => log.info({ reason }, 'audio tap closed'));
    for (const p of tap.tapped()) add(p);
    return { room, tap };
  }

  private close(bridge: Bridge): void {
    bridge.tap.close();
    bridge.room.release().catch((err: unknown) => this.logger.warn({ err }, 'mixer room release failed'));
  }
}
