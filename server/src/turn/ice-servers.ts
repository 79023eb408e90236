import type { Clock } from '../../../common/src/index.js';
import { turnCredential } from './credentials.js';

/** One entry of RTCConfiguration.iceServers, as handed to browsers at hello. */
export interface IceServer {
  urls: string[];
  username: string;
  credential: string;
}

/** What a session needs for its peer connections. */
export interface IceConfig {
  iceServers: IceServer[];
  /** `relay`: the browser uses TURN-relayed candidates only (turn.forceRelay). */
  iceTransportPolicy: 'all' | 'relay';
}

/** Hands out ICE servers with fresh, time-limited TURN credentials for one session. */
export type IceConfigSource = (sessionId: string) => IceConfig;

/** No TURN configured: browsers use direct (host) candidates only. */
export const noTurn: IceConfigSource = () => ({ iceServers: [], iceTransportPolicy: 'all' });

export function iceConfigSource(opts: { urls: string[]; secret: string; ttlSeconds: number; forceRelay: boolean; clock: Clock }): IceConfigSource {
  if (opts.urls.length === 0) return noTurn;
  return (sessionId) => {
    const { username, credential } = turnCredential(opts.secret, sessionId, opts.ttlSeconds, opts.clock.now());
    return {
      iceServers: [{ urls: [...opts.urls], username, credential }],
      iceTransportPolicy: opts.forceRelay ? 'relay' : 'all',
    };
  };
}
