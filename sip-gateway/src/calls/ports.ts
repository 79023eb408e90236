/**
 * What the call layer needs from the rest of the node. The composition root (bin/service.ts)
 * backs these with the meetings service, the media engine, the administration store and the
 * registrar; the call layer sees only these shapes.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from '../../../common/src/index.js';
import type { MeetingsApi, RefusedCallSummary } from '../../../server/src/meetings/index.js';
import type { MediaRoomApi } from '../../../sfu/src/index.js';
import type { MediaEngine } from '../media/engine/types.js';
import type { SipStack } from '../sip/index.js';
import type { CallsConfig } from './config.js';

/** A provisioned endpoint recognised from the caller's From address and live registration. */
export interface CallingEndpoint {
  /** Its address (`boardroom@example.com`). */
  address: string;
  displayName: string;
  /** Bandwidth tier name (basic / plus / premium) and its call rate. */
  tier: string | null;
  bandwidthKbps: number;
}

export interface EndpointLookup {
  /**
   * The endpoint whose address is `address` when the call's signalling source matches one of its
   * live registrations (same transport and address; over UDP the same port), else null.
   */
  identify(address: string, source: { transport: string; address: string; port: number }): Promise<CallingEndpoint | null>;
}

export interface DomainLookup {
  /** A customer's verified calling domain (Domain Hosting), looked up at call time. */
  isVerifiedCustomerDomain(domain: string): Promise<boolean>;
}

export interface CallRecordSink {
  /** A call that never joined (refused, cancelled, ended in the IVR); answered calls are recorded by the meetings' recorder. */
  recordRefusedCall(call: RefusedCallSummary): void;
}

export interface CallsDeps {
  stack: SipStack;
  meetings: MeetingsApi<MediaRoomApi>;
  engine: MediaEngine;
  endpoints: EndpointLookup;
  domains: DomainLookup;
  records: CallRecordSink;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  config: CallsConfig;
}
