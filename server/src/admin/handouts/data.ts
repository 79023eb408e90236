import type { EndpointTier } from '../provisioning/index.js';

/** Everything a company handout lists (seed 001: endpoint subscriptions, users, team VMRs, PSTN dial-in numbers). */
export interface HandoutData {
  company: { name: string };
  endpoints: { name: string; address: string; tier: EndpointTier | string }[];
  /** Invited users are listed (marked) too: their addresses work from the invitation on. */
  users: { name: string; personalAddress: string; vmrAddress: string; numericId?: string | number; invited?: boolean }[];
  teamVmrs: { name: string; address: string; numericId: string | number }[];
  dialInNumbers: { number: string; label: string }[];
  generatedAt: Date;
}

export const TIER_LABEL: Record<string, string> = {
  basic: 'Basic (768 kbps)',
  plus: 'Plus (1.5 Mbps)',
  premium: 'Premium (4 Mbps)',
};

export const tierLabel = (tier: string): string => TIER_LABEL[tier] ?? tier;

/** `2026-01-05 14:03 UTC`: handouts are read by people in any zone, so time is stated in UTC. */
export const utcStamp = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** Only printed when the handout lists dial-in numbers. */
export const DIAL_IN_HINT = 'To join a meeting room by phone, call a dial-in number and enter the room\u2019s numeric ID followed by #.';

export const userName = (u: { name: string; invited?: boolean }): string => (u.invited ? `${u.name} (invited)` : u.name);
