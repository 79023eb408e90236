/**
 * What the meeting core needs to know about rooms and companies. The administration module's
 * read API satisfies it; the meeting core never sees repositories or licences.
 */
export interface MeetingRoomRecord {
  id: string;
  numericId: string;
  companyId: string;
  addresses: string[];
  displayName: string;
  /** scrypt hashes; null = no PIN of that kind. */
  hostPinHash: string | null;
  guestPinHash: string | null;
  /** When false a guest PIN is not accepted (only the host PIN admits). */
  allowGuests: boolean;
  /** Per-room participant limit; null = the company's per-meeting limit. */
  participantLimit: number | null;
  state: 'active' | 'inactive';
  /** Who owns the room: a member (personal VMR, may host through a start link) or a team. */
  owner?: { kind: 'member'; memberId: string } | { kind: 'team'; teamVmrId: string } | undefined;
}

export interface MeetingLimits {
  /** Participants allowed in one meeting of this company. */
  perMeeting: number;
  /** Concurrent participants across all of the company's meetings; null = no company-wide cap. */
  companyConcurrent: number | null;
  /**
   * The company's call bandwidth policy (kbps) for browsers and unregistered callers in its
   * meetings; absent/null = none (only the service ceiling). Provisioned endpoints get their tier.
   */
  maxCallBandwidthKbps?: number | null | undefined;
}

export interface MeetingDirectory {
  getVmrByAddress(address: string): Promise<MeetingRoomRecord | null>;
  getVmrByNumericId(numericId: string): Promise<MeetingRoomRecord | null>;
  companyLimits(companyId: string): Promise<MeetingLimits>;
  verifyPin(pin: string, hash: string): Promise<boolean>;
}

/** The service-wide cap on one meeting (SPEC §3). */
export const SERVICE_MAX_PARTICIPANTS = 100;
