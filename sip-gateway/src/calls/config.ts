import { z } from 'zod';

/** `sip.calls`: how inbound calls are handled. Every key has a default that works on a laptop. */
export const callsConfigSchema = z.strictObject({
  /** The service's default domain; null = the administration's `admin.defaultDomain`. */
  defaultDomain: z.string().min(1).nullable().default(null),
  /** Wrong PINs before the call is ended (SPEC §3; the per-source and per-room lockouts apply too). */
  pinAttempts: z.number().int().min(1).max(10).default(3),
  /** Time for the first key after a prompt and between keys. */
  pinDigitTimeoutMs: z.number().int().min(500).max(120_000).default(10_000),
  /** Prompt rounds with no key pressed before the call is ended. */
  pinTimeouts: z.number().int().min(1).max(10).default(3),
  /** The longest PIN read from the keypad. */
  pinMaxDigits: z.number().int().min(4).max(32).default(20),
  /** Call bandwidth recorded for callers that are not provisioned endpoints (kbps; audio only today). */
  defaultBandwidthKbps: z.number().int().min(32).max(20_000).default(256),
  /** The RFC 6464 audio-level header extension id of the callers' audio producers in the SFU. */
  audioLevelExtensionId: z.number().int().min(1).max(14).default(1),
});
export type CallsConfig = z.output<typeof callsConfigSchema>;
