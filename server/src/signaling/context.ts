import type { Logger } from 'pino';
import { DomainError } from '../errors.js';
import type { Meeting, MeetingService, Participant, ParticipantChannel } from '../meetings/index.js';
import type { RequestData, RequestMethod, ResponseData } from '../protocol/index.js';

/** What a request handler can reach: its session's state and the meetings API. */
export interface SessionState {
  readonly sessionId: string;
  readonly source: string;
  /** Where this connection's notifications go (the session itself). */
  readonly channel: ParticipantChannel;
  participant: Participant | undefined;
  meeting: Meeting | undefined;
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
  meetings: MeetingService;
}

export type Handler<M extends RequestMethod> = (ctx: HandlerContext, data: RequestData<M>) => Promise<ResponseData[M]>;
export type HandlerTable = { [M in RequestMethod]?: Handler<M> };

/** The caller's participant once joined and admitted (not in the lobby). */
export function requireJoined(ctx: HandlerContext): { participant: Participant; meeting: Meeting } {
  const { participant, meeting } = ctx.session;
  if (!participant || !meeting || participant.state !== 'joined') {
    throw new DomainError('not_joined', participant?.state === 'lobby' ? 'wait to be admitted from the lobby' : 'join a meeting first');
  }
  return { participant, meeting };
}

export function requireHost(ctx: HandlerContext): { participant: Participant; meeting: Meeting } {
  const joined = requireJoined(ctx);
  if (joined.participant.role !== 'host') throw new DomainError('not_host', 'only a host may do this');
  return joined;
}

export function requireTarget(meeting: Meeting, participantId: string): Participant {
  const target = meeting.participants.get(participantId);
  if (!target) throw new DomainError('participant_not_found', 'no such participant in this meeting');
  return target;
}

export const empty = {} as Record<string, never>;
