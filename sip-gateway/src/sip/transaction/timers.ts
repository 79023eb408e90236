/**
 * Every RFC 3261 transaction timer in one table (§17, Table 4) plus RFC 6026's L and M.
 * Override T1/T2/T4 and the derived values derive from them; override any single timer directly
 * (tests use a small T1 and D so transactions finish quickly).
 */
export interface SipTimers {
  /** RTT estimate; initial retransmit interval for A, E, G. */
  T1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses. */
  T2: number;
  /** Maximum time a message stays in the network. */
  T4: number;
  /** INVITE client transaction timeout. */
  B: number;
  /** Wait time for response retransmits in ICT Completed (unreliable only). */
  D: number;
  /** Non-INVITE client transaction timeout. */
  F: number;
  /** Wait time for ACK receipt in IST Completed. */
  H: number;
  /** Wait time for ACK retransmits in IST Confirmed (unreliable only). */
  I: number;
  /** Wait time for request retransmits in NIST Completed (unreliable only). */
  J: number;
  /** Wait time for response retransmits in NICT Completed (unreliable only). */
  K: number;
  /** RFC 6026: IST Accepted (absorb INVITE retransmissions after 2xx). */
  L: number;
  /** RFC 6026: ICT Accepted (pass 2xx retransmissions to the TU). */
  M: number;
}

export type TimerOverrides = Partial<SipTimers>;

export function makeTimers(o: TimerOverrides = {}): SipTimers {
  const T1 = o.T1 ?? 500;
  const T2 = o.T2 ?? 4_000;
  const T4 = o.T4 ?? 5_000;
  return {
    T1, T2, T4,
    B: 64 * T1, D: Math.max(32_000, 64 * T1), F: 64 * T1, H: 64 * T1, I: T4, J: 64 * T1, K: T4, L: 64 * T1, M: 64 * T1,
    ...stripUndefined(o),
  };
}

function stripUndefined(o: TimerOverrides): TimerOverrides {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
