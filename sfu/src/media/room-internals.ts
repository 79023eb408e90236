/** What a MediaRoom shares with its MediaLeg objects. Internal to sfu/src/media. */
import type { Producer, Router, WebRtcServer } from 'mediasoup/node/lib/types.js';
import type { MediaConfig } from './media-config.js';
import type { MediaLeg } from './media-leg.js';
import type { MediaKind, MediaSource } from './types.js';

/** One of a meeting's routers (one per worker it spans) and who is homed on it. */
export interface RouterSlot {
  router: Router;
  webRtcServer: WebRtcServer;
  workerIndex: number;
  participants: Set<MediaLeg>;
}

/** A participant's producer as the room knows it, with its copies on the room's other routers. */
export interface RoomProducer {
  id: string;
  participantId: string;
  kind: MediaKind;
  source: MediaSource;
  producer: Producer;
  slot: RouterSlot;
  /** Pipes into other routers of the room, by destination; settled promise = usable there. */
  pipes: Map<RouterSlot, Promise<void>>;
  /** Estimated bitrate per spatial layer (video only), for the layer choice. */
  layerBitratesBps: number[];
  /** A mix the audio tap published for this RTP leg: only that leg receives it; never tapped or observed. */
  mixFor?: string;
}

export interface RoomContext {
  readonly config: MediaConfig;
  /** The producers `participant` should be consuming right now (policy + last-N). */
  wantedFor(participant: MediaLeg): RoomProducer[];
  /** Participant ids whose video `participant` cares about most, best first (for the layer choice). */
  videoPriority(participant: MediaLeg): readonly string[];
  /** Resolves once `entry` can be consumed on `slot`'s router (piping it there if needed). */
  ensureOn(entry: RoomProducer, slot: RouterSlot): Promise<void>;
  producerAdded(entry: RoomProducer): void;
  producerRemoved(entry: RoomProducer): void;
  participantClosed(participant: MediaLeg): void;
}
