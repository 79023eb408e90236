// TURN: time-limited credentials for browsers, an optional embedded coturn, external TURN URLs.
export { turnConfigSchema, rangesOverlap, turnPortConflicts, type TurnConfig } from './config.js';
export { turnCredential, type TurnCredential } from './credentials.js';
export { EmbeddedTurnServer, type EmbeddedTurnOptions } from './embedded-turnserver.js';
export { noTurn, type IceConfig, type IceConfigSource, type IceServer } from './ice-servers.js';
export { stunBinding, waitForStun } from './stun-probe.js';
export { startTurn, TURN_SECRET_KEY, type TurnService } from './turn-service.js';
