import { z } from 'zod';
import { PROTOCOL_VERSION, bandwidthKbps, id, joinMode, mediaSource, opaqueObject } from './common.js';

/**
 * Client → server requests. Each method has its own data schema; the envelope is
 * `{ "id": <client-chosen request id>, "method": "<name>", "data": { ... } }`.
 * The first request on a socket must be `hello`.
 */
export const requestSchemas = {
  hello: z.strictObject({
    protocolVersion: z.literal(PROTOCOL_VERSION, { error: `protocolVersion must be ${PROTOCOL_VERSION}` }),
    /** Given to resume a session whose socket dropped, within the grace period. */
    resumeToken: z.string().min(16).max(128).optional(),
  }),
  join: z.strictObject({
    address: z.string().min(3).max(254),
    displayName: z.string().trim().min(1).max(64),
    pin: z.string().regex(/^\d{4,20}$/, 'PIN must be 4 to 20 digits').optional(),
    /** A signed "start my meeting" link token from the member portal: joins the owner as host, no PIN. */
    hostToken: z.string().regex(/^[A-Za-z0-9_.-]{20,1024}$/, 'hostToken is not a start link token').optional(),
    mode: joinMode,
    bandwidthKbps,
  }),
  leave: z.strictObject({}),

  'media.setCapabilities': z.strictObject({ rtpCapabilities: opaqueObject }),
  'transport.create': z.strictObject({ direction: z.enum(['send', 'recv']) }),
  'transport.connect': z.strictObject({ transportId: id, dtlsParameters: opaqueObject }),
  'transport.restartIce': z.strictObject({ transportId: id }),
  'producer.create': z.strictObject({
    transportId: id,
    kind: z.enum(['audio', 'video']),
    rtpParameters: opaqueObject,
    source: mediaSource,
  }),
  'producer.close': z.strictObject({ producerId: id }),
  'producer.pause': z.strictObject({ producerId: id }),
  'producer.resume': z.strictObject({ producerId: id }),
  'consumer.resume': z.strictObject({ consumerId: id }),
  'consumer.setPreferredLayers': z.strictObject({
    consumerId: id,
    spatialLayer: z.number().int().min(0).max(3),
    temporalLayer: z.number().int().min(0).max(3).optional(),
  }),

  'presentation.start': z.strictObject({}),
  'presentation.stop': z.strictObject({}),
  'chat.send': z.strictObject({ text: z.string().trim().min(1).max(2000) }),
  'hand.set': z.strictObject({ raised: z.boolean() }),

  'host.mute': z.strictObject({ participantId: id.optional() }),
  'host.disconnect': z.strictObject({ participantId: id }),
  'host.lock': z.strictObject({ locked: z.boolean() }),
  'host.admit': z.strictObject({ participantId: id }),
  'host.promote': z.strictObject({ participantId: id }),
  'host.end': z.strictObject({}),
} as const;

export type RequestMethod = keyof typeof requestSchemas;
export type RequestData<M extends RequestMethod> = z.output<(typeof requestSchemas)[M]>;

export const requestEnvelope = z.strictObject({
  id: z.union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().min(1).max(64)]),
  method: z.string().min(1).max(64),
  data: z.unknown().optional(),
});
export type RequestEnvelope = z.output<typeof requestEnvelope>;

export function isRequestMethod(m: string): m is RequestMethod {
  return Object.prototype.hasOwnProperty.call(requestSchemas, m);
}
