/**
 * The media side of a meeting as the meeting core sees it: the SFU's published interfaces
 * (sfu/src/media/api.ts), types only — the meeting core never sees mediasoup objects. The SIP
 * gateway's participants use the same ports.
 */
import type { MediaRoomApi, ParticipantMediaApi } from '../../../sfu/src/index.js';

export type MeetingMediaRoom = MediaRoomApi;
export type ParticipantMediaPort = ParticipantMediaApi;
export type OpenMediaRoom = (roomId: string) => Promise<MeetingMediaRoom>;
