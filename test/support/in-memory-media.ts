import { randomUUID } from 'node:crypto';
import { Emitter } from '../../common/src/index.js';
import type { CoreMediaEvents, CoreMediaPort, CoreProducer, MeetingMediaRoom, MeetingMediaRoomEvents } from '../../server/src/meetings/index.js';
import type { MediaSource } from '../../sfu/src/index.js';

/**
 * The meeting core's media port in memory: a leg is a list of producers whose pause/resume/close
 * emit the same events the SFU's legs do. For unit tests of Meeting/MeetingService; the real
 * mediasoup path is covered end to end.
 */
export class InMemoryLeg implements CoreMediaPort {
  readonly events = new Emitter<CoreMediaEvents>();
  closed = false;
  private readonly list: CoreProducer[] = [];

  constructor(readonly participantId: string) {}

  producers(): CoreProducer[] {
    return this.list.map((p) => ({ ...p }));
  }

  /** What an endpoint starting to send does (RTP from a phone, a browser's producer). */
  produce(source: MediaSource): string {
    const p: CoreProducer = { id: randomUUID(), kind: source === 'mic' || source === 'screen-audio' ? 'audio' : 'video', source, paused: false };
    this.list.push(p);
    this.events.emit('producerAdded', { ...p });
    return p.id;
  }

  private find(id: string): CoreProducer {
    const p = this.list.find((x) => x.id === id);
    if (!p) throw new Error(`no producer ${id}`);
    return p;
  }

  async pauseProducer(id: string, byServer = false): Promise<void> {
    const p = this.find(id);
    if (p.paused) return;
    p.paused = true;
    this.events.emit('producerPaused', id, byServer);
  }

  async resumeProducer(id: string, byServer = false): Promise<void> {
    const p = this.find(id);
    if (!p.paused) return;
    p.paused = false;
    this.events.emit('producerResumed', id, byServer);
  }

  closeProducer(id: string, byServer = false): void {
    const i = this.list.findIndex((x) => x.id === id);
    if (i < 0) return;
    this.list.splice(i, 1);
    this.events.emit('producerClosed', id, byServer);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.list.length = 0;
    this.events.emit('closed', 'closed');
  }
}

export class InMemoryMediaRoom implements MeetingMediaRoom {
  readonly events = new Emitter<MeetingMediaRoomEvents>();
  closed = false;
  readonly legs = new Map<string, InMemoryLeg>();

  constructor(readonly id: string) {}

  openLeg(participantId: string): InMemoryLeg {
    if (this.closed) throw new Error('room closed');
    const leg = new InMemoryLeg(participantId);
    this.legs.set(participantId, leg);
    return leg;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const leg of this.legs.values()) leg.close();
  }
}

/** An `openMediaRoom` for MeetingService: one in-memory room per meeting, kept for inspection. */
export function inMemoryMedia(): { open: (id: string) => Promise<InMemoryMediaRoom>; rooms: Map<string, InMemoryMediaRoom> } {
  const rooms = new Map<string, InMemoryMediaRoom>();
  return {
    rooms,
    open: async (id) => {
      const room = new InMemoryMediaRoom(id);
      rooms.set(id, room);
      return room;
    },
  };
}
