/**
 * The link between a meeting's SFU tap (audio or video) and the engine's room it feeds: the tap
 * sends its RTP to the room's socket, the room sends its RTCP (and the mixer its mixes) back.
 */
interface Address {
  ip: string;
  port: number;
}

/** The SFU end: the tap's transport. */
export interface TapEnd {
  readonly transport: Address;
  connect(remote: Address): Promise<void>;
}

/** The engine end: the room's tap socket. */
export interface RoomTapEnd {
  readonly tapTarget: Address;
  setTapRemote(remote: Address): Promise<void>;
}

/** Points the tap and the room at each other. */
export async function linkTapToRoom(tap: TapEnd, room: RoomTapEnd): Promise<void> {
  await tap.connect({ ip: room.tapTarget.ip, port: room.tapTarget.port });
  await room.setTapRemote({ ip: tap.transport.ip, port: tap.transport.port });
}

/** Opens the tap for a room just opened and links them; if either fails the room is released (it has no other holder yet). */
export async function openLinkedTap<T extends TapEnd>(room: RoomTapEnd & { release(): Promise<void> }, openTap: () => Promise<T>): Promise<T> {
  try {
    const tap = await openTap();
    await linkTapToRoom(tap, room);
    return tap;
  } catch (err) {
    await room.release().catch(() => undefined);
    throw err;
  }
}
