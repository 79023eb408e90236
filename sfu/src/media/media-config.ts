import { z } from 'zod';

const bps = z.number().int().min(0);

/**
 * `sfu.media`: how meetings use the workers. Every key has a default so an older config file
 * without this section still loads.
 */
export const mediaConfigSchema = z.strictObject({
  /** A video participant receives camera video from at most this many other participants. */
  lastN: z.number().int().min(0).max(100).default(9),
  /** A meeting's router takes no new participants past this many; they go on a router on another worker. */
  maxParticipantsPerRouter: z.number().int().min(1).max(10_000).default(40),
  /** …nor once the router's WebRTC consumers reach this many (mediasoup guidance: ~500 per core is comfortable). */
  maxConsumersPerRouter: z.number().int().min(1).max(100_000).default(1500),
  /** How often the active-speaker observer may change its mind. */
  activeSpeakerIntervalMs: z.number().int().min(100).max(10_000).default(300),
  /** Offer ICE over UDP / TCP through the worker's WebRtcServer (UDP is preferred when both work). */
  enableUdp: z.boolean().default(true),
  enableTcp: z.boolean().default(true),
  /**
   * How often the room reports each speaking mic's loudness (the legs' `audioLevel` events); 0 = no
   * level observer. Off by default: nothing in the product reads the levels (the active speaker
   * comes from its own observer), and the observer costs the worker per mic packet and Node an event
   * every interval per room.
   */
  audioLevelIntervalMs: z.union([z.literal(0), z.number().int().min(100).max(10_000)]).default(0),
  /** Starting estimate of a receiver's downlink, before bandwidth estimation has data. */
  initialAvailableOutgoingBitrateBps: bps.default(600_000),
  /** Budget the layer choice keeps per received audio stream (Opus speech with FEC). */
  audioBitrateBps: bps.default(40_000),
  /** Address pipe transports between a meeting's routers listen on (same host). */
  pipeListenIp: z.string().min(1).default('127.0.0.1'),
  /** Address RTP legs' (SIP, phone) and the audio tap's plain RTP transports listen on; ports come from rtcMinPort–rtcMaxPort. */
  rtpListenIp: z.string().min(1).default('127.0.0.1'),
  /** Address put in SDP for those transports (the public IP behind NAT); null = rtpListenIp. */
  rtpAnnouncedAddress: z.string().min(1).nullable().default(null),
  /** How long an RTP leg's produce() waits for the first packet when it must learn the sender's SSRC (learnSsrc). */
  rtpSsrcLearnTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** UDP ports (inclusive) for those relays; 0 and 0 = any port the OS gives. Keep clear of rtcMinPort–rtcMaxPort. */
  rtpRelayMinPort: z.number().int().min(0).max(65535).default(0),
  rtpRelayMaxPort: z.number().int().min(0).max(65535).default(0),
}).refine((c) => (c.rtpRelayMinPort === 0 && c.rtpRelayMaxPort === 0) || (c.rtpRelayMinPort >= 1024 && c.rtpRelayMinPort <= c.rtpRelayMaxPort), {
  message: 'rtpRelayMinPort..rtpRelayMaxPort must be 0..0 or a range of ports >= 1024',
  path: ['rtpRelayMinPort'],
});

export type MediaConfig = z.output<typeof mediaConfigSchema>;

export const defaultMediaConfig: MediaConfig = mediaConfigSchema.parse({});
