import type { Logger } from 'pino';
import type { MediaRoomApi } from '../../../sfu/src/index.js';
import { MeetingError, type MeetingsApi, type ParticipantHandle } from '../meetings/index.js';
import type { RequestData, RequestMethod, ResponseData } from '../protocol/index.js';
import type { LinkChannel, ParticipantLink, ParticipantLinks } from './links.js';
import type { WebRtcLeg } from './webrtc-leg.js';

/** The meetings API as signalling uses it: its media rooms are the SFU's. */
export type SignalingMeetings = MeetingsApi<MediaRoomApi>;

/** What a request handler can reach: its session's state and the meetings API. */
export interface SessionState {
  readonly sessionId: string;
  readonly source: string;
  /** Where this connection's notifications go (the session itself). */
  readonly channel: LinkChannel;
  /** The participant this connection acts for, once joined (or resumed). */
  link: ParticipantLink | undefined;
  /** Issued by hello; binds to the participant at join; rotated on resume. */
  resumeToken: string;
  /** Wrong PINs on this connection (a few end the attempt). */
  pinFailures: number;
  readonly logger: Logger;
  /** Closes the socket after the current response is sent. */
  closeAfterResponse(reason: string): void;
}

export interface HandlerContext {
  session: SessionState;
  meetings: SignalingMeetings;
  links: ParticipantLinks;
}

export type Handler<M extends RequestMethod> = (ctx: HandlerContext, data: RequestData<M>) => Promise<ResponseData[M]>;
export type HandlerTable = { [M in RequestMethod]?: Handler<M> };

/** The caller's participant link (joined or in the lobby). */
export function requireLink(ctx: HandlerContext): ParticipantLink {
  const link = ctx.session.link;
  if (!link) throw new MeetingError('not_joined', 'join a meeting first');
  return link;
}

/** The caller's handle once joined and admitted (not in the lobby). */
export async function requireJoined(ctx: HandlerContext): Promise<ParticipantHandle<MediaRoomApi>> {
  const link = requireLink(ctx);
  const state = await link.handle.state();
  if (state !== 'joined') throw new MeetingError('not_joined', state === 'lobby' ? 'wait to be admitted from the lobby' : 'join a meeting first');
  return link.handle;
}

/** The caller's WebRTC leg (after media.setCapabilities). */
export async function requireLeg(ctx: HandlerContext): Promise<{ handle: ParticipantHandle<MediaRoomApi>; leg: WebRtcLeg }> {
  const handle = await requireJoined(ctx);
  const leg = ctx.session.link?.leg;
  if (!leg) throw new MeetingError('media_error', 'send media.setCapabilities first');
  return { handle, leg };
}

export const empty = {} as Record<string, never>;
