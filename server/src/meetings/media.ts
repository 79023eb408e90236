/**
 * The media side of a meeting as the meeting core sees it: the core media port. Transport-neutral
 * on purpose — producers, pause/resume/close, their events, close — so a browser's WebRTC leg, a
 * SIP/phone RTP leg and the in-memory port of the unit tests all fit. How a leg is built and its
 * transport calls (ICE, DTLS, simulcast layers, RTP addresses) belong to the entry point that
 * made it (server/src/signaling for WebRTC), never to `Meeting`. Today's implementation is the
 * SFU's published API (sfu/src/media/api.ts), adapted in server/src/signaling/webrtc-leg.ts.
 */
import type { Emitter } from '../../../common/src/index.js';
import type { MediaKind, MediaSource } from '../../../sfu/src/index.js';

/** One producer of a participant's leg, as the roster needs it. */
export interface CoreProducer {
  id: string;
  kind: MediaKind;
  source: MediaSource;
  paused: boolean;
}

export type CoreMediaEvents = {
  /** A producer was created on the leg (the roster's mute state changes). */
  producerAdded: [producer: CoreProducer];
  /** byServer: a host (or the core) did it, not the participant's own client. */
  producerPaused: [producerId: string, byServer: boolean];
  producerResumed: [producerId: string, byServer: boolean];
  producerClosed: [producerId: string, byServer: boolean];
  /** The leg's media ended (closed, room closed, worker died). Emitted once. */
  closed: [reason: string];
};

/** A participant's media leg, whatever its transport. */
export interface CoreMediaPort {
  readonly participantId: string;
  readonly events: Emitter<CoreMediaEvents>;
  readonly closed: boolean;
  producers(): CoreProducer[];
  pauseProducer(producerId: string, byServer?: boolean): Promise<void>;
  resumeProducer(producerId: string, byServer?: boolean): Promise<void>;
  closeProducer(producerId: string, byServer?: boolean): void;
  close(): void;
}

export type MeetingMediaRoomEvents = {
  /** The dominant speaker changed; null when nobody speaks. */
  activeSpeaker: [participantId: string | null];
  /** The room's media is gone (e.g. its worker died). */
  closed: [reason: string];
};

/** The meeting's media room as the core uses it: speaker events and close. Legs are made by entry points. */
export interface MeetingMediaRoom {
  readonly id: string;
  readonly events: Pick<Emitter<MeetingMediaRoomEvents>, 'on' | 'off'>;
  close(): void;
}

export type OpenMediaRoom<R extends MeetingMediaRoom = MeetingMediaRoom> = (roomId: string) => Promise<R>;

