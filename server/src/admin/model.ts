/**
 * Administration records. The zod schemas are both the API response documentation (OpenAPI)
 * and the types the repositories store; the meetings and gateway issues read VmrRecord,
 * EndpointRecord and CallDetailRecord.
 */
import { z } from 'zod';
import { ENDPOINT_TIER_NAMES, LICENCE_POOLS, PAYMENT_PLANS, PLAN_ACTIONS } from './licences/index.js';

/** operator: the service operator, above partners (partners, dial-in numbers, the whole audit log). */
export const Role = z.enum(['operator', 'partner_admin', 'company_admin', 'member']);
export type Role = z.infer<typeof Role>;

export const ConsumerKind = z.enum(['user', 'team_vmr', 'endpoint', 'domain']);
export type ConsumerKind = z.infer<typeof ConsumerKind>;

/** invited: user invitation pending (licence reserved); inactive: licence/trial lapsed or deactivated. */
export const ConsumerState = z.enum(['invited', 'active', 'inactive']);
export type ConsumerState = z.infer<typeof ConsumerState>;

export const LicencePoolSchema = z.enum(LICENCE_POOLS);
export const PaymentPlanSchema = z.enum(PAYMENT_PLANS);
export const PlanActionSchema = z.enum(PLAN_ACTIONS);
export const EndpointTierSchema = z.enum(ENDPOINT_TIER_NAMES);
export const JoinMode = z.enum(['video', 'audio_only', 'audio_presentation']);
export type JoinMode = z.infer<typeof JoinMode>;
export const UsageModel = z.enum(['shared', 'personal']);
export type UsageModel = z.infer<typeof UsageModel>;

const iso = z.string().describe('ISO 8601 UTC date-time');

export const PartnerSchema = z.object({ id: z.string(), name: z.string(), createdAt: iso });
export type Partner = z.infer<typeof PartnerSchema>;

export const CompanySchema = z.object({
  id: z.string(),
  partnerId: z.string(),
  name: z.string(),
  /** Where "New calling domain" instructions and similar customer mail go. */
  contactEmail: z.string().nullable(),
  createdAt: iso,
  /** Evaluation Mode: trial consumers may be created until endsAt. */
  evaluation: z.object({ endsAt: iso }).nullable(),
  /** Optional lower per-meeting participant limit (≤ 100). */
  maxParticipantsPerMeeting: z.number().int().nullable(),
  /**
   * Call bandwidth policy (kbps) for browsers and unregistered callers in the company's meetings;
   * null = the service default (admin.limits.defaultMaxCallBandwidthKbps). Provisioned endpoints
   * keep their tier's rate. Absent on records written before it existed (= null).
   */
  maxCallBandwidthKbps: z.number().int().nullable().optional(),
  /**
   * Set when the partner deleted the company: its consumers are deactivated and their addresses
   * released; its orders, plans and call records stay readable to the partner until recordsKeptUntil.
   */
  deletedAt: iso.nullable(),
  recordsKeptUntil: iso.nullable(),
});
export type Company = z.infer<typeof CompanySchema>;

/** Common to every consumer (user, team VMR, endpoint, calling domain). */
const consumerBase = {
  id: z.string(),
  companyId: z.string(),
  state: ConsumerState,
  /** The licence pool this consumer draws from while active ('' when trial or inactive). */
  pool: z.union([LicencePoolSchema, z.literal('')]),
  /** Created in Evaluation Mode without a licence; deactivated when the evaluation ends. */
  trial: z.boolean(),
  createdAt: iso,
  deactivatedAt: iso.nullable(),
  deactivatedReason: z.string().nullable(),
};

export const MemberSettings = z.object({
  defaultJoinMode: JoinMode,
  /** Preferred call bandwidth in kbps (browser/app), capped by company policy. */
  callBandwidthKbps: z.number().int(),
});
export type MemberSettings = z.infer<typeof MemberSettings>;

export const MemberSchema = z.object({
  ...consumerBase,
  kind: z.literal('user'),
  name: z.string(),
  email: z.string(),
  domain: z.string(),
  personalAddress: z.string(),
  vmrAddress: z.string(),
  vmrId: z.string(),
  settings: MemberSettings,
  invitedAt: iso,
  acceptedAt: iso.nullable(),
  /** Invitation reminders already sent (seed 001: at 10 and 30 days). */
  remindersSent: z.array(z.enum(['day10', 'day30'])),
});
export type MemberRecord = z.infer<typeof MemberSchema>;

export const TeamVmrSchema = z.object({
  ...consumerBase,
  kind: z.literal('team_vmr'),
  name: z.string(),
  domain: z.string(),
  address: z.string(),
  vmrId: z.string(),
});
export type TeamVmrRecord = z.infer<typeof TeamVmrSchema>;

export const EndpointSchema = z.object({
  ...consumerBase,
  kind: z.literal('endpoint'),
  name: z.string(),
  domain: z.string(),
  address: z.string(),
  tier: EndpointTierSchema,
  /** Call-rate cap from the tier: 768 / 1500 / 4000 kbps. */
  bandwidthKbps: z.number().int(),
  usageModel: UsageModel,
  sipUsername: z.string(),
  /** Digest password for registration; only shown in the provisioning configuration. */
  sipPassword: z.string(),
});
export type EndpointRecord = z.infer<typeof EndpointSchema>;
export const EndpointViewSchema = EndpointSchema.omit({ sipPassword: true });

export const CallingDomainSchema = z.object({
  ...consumerBase,
  kind: z.literal('domain'),
  domain: z.string(),
  verified: z.boolean(),
  verifiedAt: iso.nullable(),
  /**
   * How it was verified: dns (our TXT token), default_domain, subdomain_of_verified, or
   * m365_domain (DNS holds the `MS=ms…` TXT record Microsoft 365 domain verification requires).
   */
  verifiedBy: z.string().nullable(),
  lastVerifyFailure: z.string().nullable(),
});
export type CallingDomainRecord = z.infer<typeof CallingDomainSchema>;

export type ConsumerRecord = MemberRecord | TeamVmrRecord | EndpointRecord | CallingDomainRecord;

export const VmrOwner = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('member'), memberId: z.string() }),
  z.object({ kind: z.literal('team'), teamVmrId: z.string() }),
]);

/** What the meetings issue reads to admit people into a VMR. */
export const VmrSchema = z.object({
  id: z.string(),
  /** Digits a phone caller enters at the IVR. */
  numericId: z.string(),
  companyId: z.string(),
  addresses: z.array(z.string()),
  displayName: z.string(),
  owner: VmrOwner,
  /** scrypt hashes (see pins.ts); null = no PIN. */
  hostPinHash: z.string().nullable(),
  guestPinHash: z.string().nullable(),
  allowGuests: z.boolean(),
  defaultLayout: z.enum(['speaker', 'grid', 'presentation']),
  defaultBandwidthKbps: z.number().int(),
  /** Per-VMR participant limit; null = the company's per-meeting limit. */
  participantLimit: z.number().int().nullable(),
  /** inactive VMRs (lapsed licence) refuse joins. */
  state: z.enum(['active', 'inactive']),
});
export type VmrRecord = z.infer<typeof VmrSchema>;

/** The VMR as shown to people: PIN hashes replaced by whether a PIN is set. */
export const VmrViewSchema = VmrSchema.omit({ hostPinHash: true, guestPinHash: true }).extend({
  hostPinSet: z.boolean(),
  guestPinSet: z.boolean(),
});
export type VmrView = z.infer<typeof VmrViewSchema>;

export const PlanSchema = z.object({
  id: z.string(),
  companyId: z.string(),
  planType: z.string(),
  sku: z.string(),
  product: z.string(),
  /** Licenses: the current number of licences under this plan. */
  quantity: z.number().int(),
  /** Price per license, in minor units (cents) to avoid float rounding. */
  pricePerLicenceCents: z.number().int(),
  currency: z.string(),
  paymentPlan: PaymentPlanSchema,
  startDate: iso,
  /** Renewal/Expiry date: renews when autoRenew, expires otherwise. */
  renewalDate: iso,
  autoRenew: z.boolean(),
  costCenter: z.string(),
  references: z.string(),
  status: z.enum(['active', 'expired']),
  createdAt: iso,
  /** When the partner cancelled it: the plan ends at its renewal date (end of the paid term) and cannot be changed. */
  cancelledAt: iso.nullable().optional(),
});
export type PlanRecord = z.infer<typeof PlanSchema>;

/** A plan as listed: with the actions it offers now (by plan type and state). */
export const PlanViewSchema = PlanSchema.extend({ actions: z.array(PlanActionSchema) });

export const OrderChange = z.enum([
  'new_order',
  'quantity_change',
  'payment_plan_change',
  'renewal',
  'auto_renewal',
  'expiry',
  'consumers_deactivated',
  'trial_ended',
  'auto_renew_on',
  'auto_renew_off',
  'cancellation',
  'company_deleted',
]);
export type OrderChange = z.infer<typeof OrderChange>;

/** Order history row (seed 002 field list). */
export const OrderEventSchema = z.object({
  id: z.string(),
  companyId: z.string(),
  planId: z.string().nullable(),
  /** Date/Time (UTC). */
  at: iso,
  /** Portal user, or "System" for automated events. */
  user: z.string(),
  sku: z.string(),
  product: z.string(),
  paymentPlan: z.string(),
  reference: z.string(),
  change: OrderChange,
  newQuantity: z.number().int(),
});
export type OrderEvent = z.infer<typeof OrderEventSchema>;

export const DialInTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ivr') }),
  z.object({ kind: z.literal('vmr'), vmrId: z.string(), companyId: z.string() }),
]);
export const DialInNumberSchema = z.object({
  number: z.string().describe('E.164'),
  label: z.string(),
  /** The partner the operator assigned it to; null = held by the operator (service-wide IVR number). */
  partnerId: z.string().nullable(),
  target: DialInTarget,
  createdAt: iso,
});
export type DialInNumber = z.infer<typeof DialInNumberSchema>;

/**
 * Call-detail record: one per call leg or meeting. Written by meetings and the gateway.
 * Retention (seed 001): endpoint usage model Shared anonymizes records older than 3 months,
 * Personal removes them.
 */
export const CdrSchema = z.object({
  id: z.string(),
  companyId: z.string(),
  kind: z.enum(['meeting', 'leg', 'direct']),
  vmrId: z.string().nullable(),
  memberId: z.string().nullable(),
  endpointId: z.string().nullable(),
  direction: z.enum(['inbound', 'outbound', 'internal']),
  protocol: z.enum(['webrtc', 'sip', 'pstn', 'cvi']),
  /** Caller identity; replaced by "anonymized" by retention. */
  from: z.string(),
  to: z.string(),
  displayName: z.string(),
  remoteAddress: z.string().nullable(),
  codecs: z.object({ audio: z.string().nullable(), video: z.string().nullable() }),
  bandwidthKbps: z.number().int().nullable(),
  startedAt: iso,
  endedAt: iso.nullable(),
  durationMs: z.number().int().nullable(),
  quality: z.object({ packetLossPct: z.number().nullable(), jitterMs: z.number().nullable(), mos: z.number().nullable() }),
  endReason: z.string().nullable(),
  anonymized: z.boolean(),
  // Participant sessions in a meeting (written by the meetings' call recorder). Optional so
  // records written before these existed still read.
  participantId: z.string().optional(),
  participantKind: z.enum(['browser', 'sip', 'phone', 'interop']).optional(),
  /** SIP URI / phone number where known; anonymized by retention. */
  callerAddress: z.string().nullable().optional(),
  role: z.enum(['host', 'guest']).optional(),
  joinMode: JoinMode.optional(),
  /** Endpoint bandwidth tier of a provisioned endpoint, else null. */
  tier: z.string().nullable().optional(),
  /** Entered the meeting proper (null: only ever in the lobby). */
  answeredAt: iso.nullable().optional(),
  /** The node (config calls.nodeName, default the hostname) that hosted the session. */
  nodeId: z.string().optional(),
  /** SIP calls: the Call-ID of the caller's INVITE. */
  sipCallId: z.string().optional(),
  /** SIP calls: the final status the INVITE got (200 when answered; a refusal's status from the shared refusal table). */
  sipStatus: z.number().int().optional(),
});
export type CallDetailRecord = z.infer<typeof CdrSchema>;

export const PrincipalSchema = z.object({
  tokenId: z.string(),
  role: Role,
  name: z.string(),
  partnerId: z.string(),
  companyId: z.string().nullable(),
  memberId: z.string().nullable(),
  createdAt: iso,
});
export type Principal = z.infer<typeof PrincipalSchema>;
