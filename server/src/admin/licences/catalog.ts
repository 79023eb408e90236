/**
 * Licence plan types (seed 002) and what each provides. A plan provides quantities of licence
 * "pools"; consumers draw from pools (EUL per user/team VMR, an endpoint tier per endpoint,
 * Domain Hosting per custom domain). -1 means unlimited (Enterprise Wide Agreement).
 */
import { ENDPOINT_TIER_KBPS } from '../../licensing/index.js';

export const LICENCE_POOLS = [
  'eul',
  'endpoint_basic',
  'endpoint_plus',
  'endpoint_premium',
  'domain_hosting',
  'byoc',
  'connect_microsoft',
  'connect_google',
  'teams_rooms',
  'zoom_rooms',
  'fullhd_cvi',
  'fullhd_teams_rooms',
  'fullhd_zoom_rooms',
  'trusted_device',
  'branding',
  'pcc_user',
  'erm',
  'otj_room_enablement',
  'otj_room',
  'professional_services',
] as const;
export type LicencePool = (typeof LICENCE_POOLS)[number];

export const UNLIMITED = -1;

export type PlanCategory = 'connect' | 'domain_other' | 'endpoint' | 'one_touch_join' | 'professional_services' | 'user_vmr' | 'erc_basic';

/**
 * What a partner may do with a plan. Seed 002: "The available choices depend on the type of
 * license plan" — each plan type lists its own (see ACTIONS_BY_KIND below).
 */
export const PLAN_ACTIONS = ['order', 'increase', 'decrease', 'payment_plan', 'renew', 'auto_renew', 'cancel'] as const;
export type PlanAction = (typeof PLAN_ACTIONS)[number];

/** How the quantity may change when the plan is renewed. */
export type RenewalQuantity = 'any' | 'same_or_lower' | 'same';

export interface PlanType {
  id: string;
  sku: string;
  product: string;
  category: PlanCategory;
  /** False for renewal-only plans (ERC Basic): existing plans can be renewed, new ones not ordered. */
  orderable: boolean;
  /** The actions this plan type offers (seed 002: they depend on the plan type). */
  actions: readonly PlanAction[];
  /** Quantity rule at renewal: ERC Basic may stay or go down, never up; an EWA has no quantity. */
  renewalQuantity: RenewalQuantity;
  /** Pools this plan provides for a given licence quantity. */
  provides(quantity: number): Partial<Record<LicencePool, number>>;
}

const per = (pool: LicencePool) => (q: number) => ({ [pool]: q });
// Connect Standard/Essentials and ERC Basic include 1 Domain Hosting licence per plan (seed 002).
const withDomain = (pool: LicencePool) => (q: number) => ({ [pool]: q, domain_hosting: 1 });

type PlanTypeDef = Omit<PlanType, 'actions' | 'renewalQuantity'>;

const DEFS: PlanTypeDef[] = [
  { id: 'connect_standard_microsoft', sku: 'CNV-CON-STD-MS', product: 'Connect Standard for Microsoft', category: 'connect', orderable: true, provides: (q) => ({ connect_microsoft: q, branding: q, domain_hosting: 1 }) },
  { id: 'connect_standard_google', sku: 'CNV-CON-STD-GO', product: 'Connect Standard for Google', category: 'connect', orderable: true, provides: (q) => ({ connect_google: q, branding: q, domain_hosting: 1 }) },
  { id: 'connect_teams_rooms', sku: 'CNV-CON-TR', product: 'Connect for Teams Rooms', category: 'connect', orderable: true, provides: per('teams_rooms') },
  { id: 'connect_zoom_rooms', sku: 'CNV-CON-ZR', product: 'Connect for Zoom Rooms', category: 'connect', orderable: true, provides: per('zoom_rooms') },
  { id: 'connect_essentials_microsoft', sku: 'CNV-CON-ESS-MS', product: 'Connect Essentials for Microsoft', category: 'connect', orderable: true, provides: withDomain('connect_microsoft') },
  { id: 'connect_essentials_google', sku: 'CNV-CON-ESS-GO', product: 'Connect Essentials for Google', category: 'connect', orderable: true, provides: withDomain('connect_google') },
  { id: 'fullhd_cvi', sku: 'CNV-FHD-CVI', product: 'FullHD for Microsoft CVI', category: 'connect', orderable: true, provides: per('fullhd_cvi') },
  { id: 'fullhd_teams_rooms', sku: 'CNV-FHD-TR', product: 'FullHD for Teams Rooms', category: 'connect', orderable: true, provides: per('fullhd_teams_rooms') },
  { id: 'fullhd_zoom_rooms', sku: 'CNV-FHD-ZR', product: 'FullHD for Zoom Rooms', category: 'connect', orderable: true, provides: per('fullhd_zoom_rooms') },
  { id: 'enhanced_room_management', sku: 'CNV-ERM', product: 'Enhanced Room Management', category: 'connect', orderable: true, provides: per('erm') },
  { id: 'trusted_device', sku: 'CNV-TDL', product: 'Trusted Device License', category: 'domain_other', orderable: true, provides: per('trusted_device') },
  { id: 'byoc', sku: 'CNV-BYOC', product: 'BYOC License', category: 'domain_other', orderable: true, provides: per('byoc') },
  { id: 'branding', sku: 'CNV-BRAND', product: 'Branding License', category: 'domain_other', orderable: true, provides: per('branding') },
  { id: 'domain_hosting', sku: 'CNV-DOM', product: 'Domain Hosting License', category: 'domain_other', orderable: true, provides: per('domain_hosting') },
  { id: 'pcc_user', sku: 'CNV-PCC', product: 'Control Center User', category: 'domain_other', orderable: true, provides: per('pcc_user') },
  { id: 'endpoint_basic', sku: 'CNV-EP-BAS', product: 'Endpoint License Basic', category: 'endpoint', orderable: true, provides: per('endpoint_basic') },
  { id: 'endpoint_plus', sku: 'CNV-EP-PLS', product: 'Endpoint License Plus', category: 'endpoint', orderable: true, provides: per('endpoint_plus') },
  { id: 'endpoint_premium', sku: 'CNV-EP-PRM', product: 'Endpoint License Premium', category: 'endpoint', orderable: true, provides: per('endpoint_premium') },
  { id: 'otj_room_enablement', sku: 'CNV-OTJ-RE', product: 'Room Enablement License', category: 'one_touch_join', orderable: true, provides: per('otj_room_enablement') },
  { id: 'otj_room', sku: 'CNV-OTJ-ROOM', product: 'One-Touch Join Room License', category: 'one_touch_join', orderable: true, provides: per('otj_room') },
  { id: 'ps_otj_install_basic', sku: 'CNV-PS-OTJ-B', product: 'One-Touch Join Installation Basic', category: 'professional_services', orderable: true, provides: per('professional_services') },
  { id: 'ps_otj_install_additional', sku: 'CNV-PS-OTJ-A', product: 'One-Touch Join Installation Additional', category: 'professional_services', orderable: true, provides: per('professional_services') },
  { id: 'ps_erm_install', sku: 'CNV-PS-ERM', product: 'Enhanced Room Management Installation', category: 'professional_services', orderable: true, provides: per('professional_services') },
  { id: 'enterprise_user', sku: 'CNV-EUL', product: 'Enterprise User License', category: 'user_vmr', orderable: true, provides: per('eul') },
  { id: 'enterprise_wide', sku: 'CNV-EWA', product: 'Enterprise Wide Agreement', category: 'user_vmr', orderable: true, provides: () => ({ eul: UNLIMITED }) },
  { id: 'erc_basic_microsoft', sku: 'CNV-ERC-MS', product: 'ERC Basic for Microsoft', category: 'erc_basic', orderable: false, provides: withDomain('connect_microsoft') },
  { id: 'erc_basic_google', sku: 'CNV-ERC-GO', product: 'ERC Basic for Google', category: 'erc_basic', orderable: false, provides: withDomain('connect_google') },
];

/**
 * The action sets, by what a plan is (seed 002):
 * - subscriptions (Connect, Domain & other, Endpoint, One-Touch Join, Enterprise User Licence):
 *   everything — order, more or fewer licences, billing cadence, renew, auto-renew on/off, cancel;
 * - Enterprise Wide Agreement: "a license for an entire organization" — no quantity to change;
 * - ERC Basic: "only available as renewals for existing ERC Basic customers" — renew (quantity
 *   the same or lower), let it lapse (auto-renew off) or cancel; no order, no increase, no cadence change;
 * - Professional Services: a one-off installation service — ordered, possibly cancelled; it never
 *   renews and has no licences to add.
 */
const SUBSCRIPTION: readonly PlanAction[] = ['order', 'increase', 'decrease', 'payment_plan', 'renew', 'auto_renew', 'cancel'];
const ORGANISATION_WIDE: readonly PlanAction[] = ['order', 'payment_plan', 'renew', 'auto_renew', 'cancel'];
const RENEWAL_ONLY: readonly PlanAction[] = ['renew', 'auto_renew', 'cancel'];
const ONE_OFF: readonly PlanAction[] = ['order', 'cancel'];

function withActions(t: PlanTypeDef): PlanType {
  if (t.category === 'erc_basic') return { ...t, actions: RENEWAL_ONLY, renewalQuantity: 'same_or_lower' };
  if (t.category === 'professional_services') return { ...t, actions: ONE_OFF, renewalQuantity: 'same' };
  if (t.id === 'enterprise_wide') return { ...t, actions: ORGANISATION_WIDE, renewalQuantity: 'same' };
  return { ...t, actions: SUBSCRIPTION, renewalQuantity: 'any' };
}

const TYPES: PlanType[] = DEFS.map(withActions);

export const PLAN_TYPE_IDS = TYPES.map((t) => t.id) as [string, ...string[]];
const byId = new Map(TYPES.map((t) => [t.id, t]));

export function planTypes(): readonly PlanType[] {
  return TYPES;
}

export function planType(id: string): PlanType | undefined {
  return byId.get(id);
}

/**
 * What people call each pool (seed 002 product names): the interface and error messages show
 * these, never the internal pool ids.
 */
const POOL_PRODUCT: Record<LicencePool, string> = {
  eul: 'Enterprise User License',
  endpoint_basic: 'Endpoint License Basic',
  endpoint_plus: 'Endpoint License Plus',
  endpoint_premium: 'Endpoint License Premium',
  domain_hosting: 'Domain Hosting License',
  byoc: 'BYOC License',
  connect_microsoft: 'Connect for Microsoft',
  connect_google: 'Connect for Google',
  teams_rooms: 'Connect for Teams Rooms',
  zoom_rooms: 'Connect for Zoom Rooms',
  fullhd_cvi: 'FullHD for Microsoft CVI',
  fullhd_teams_rooms: 'FullHD for Teams Rooms',
  fullhd_zoom_rooms: 'FullHD for Zoom Rooms',
  trusted_device: 'Trusted Device License',
  branding: 'Branding License',
  pcc_user: 'Control Center User',
  erm: 'Enhanced Room Management',
  otj_room_enablement: 'Room Enablement License',
  otj_room: 'One-Touch Join Room License',
  professional_services: 'Professional Services',
};

export function poolProduct(pool: string): string {
  return POOL_PRODUCT[pool as LicencePool] ?? pool;
}

/** The plan types that can be ordered to add capacity to a pool (the "order more" hint). */
export function planTypesForPool(pool: string): PlanType[] {
  // The plan that sells just this pool first (Domain Hosting License before Connect Standard).
  const sells = TYPES.filter((t) => t.orderable && (t.provides(1)[pool as LicencePool] ?? 0) !== 0);
  return sells.sort((a, b) => Object.keys(a.provides(1)).length - Object.keys(b.provides(1)).length);
}

/** The plan type that sells a pool (for SKU/product names on System order events). */
export function planTypeForPool(pool: LicencePool): PlanType | undefined {
  return TYPES.find((t) => t.orderable && t.provides(1)[pool] === 1);
}

export const PAYMENT_PLANS = ['monthly', 'quarterly', 'annual', 'three_year'] as const;
export type PaymentPlan = (typeof PAYMENT_PLANS)[number];

const TERM_MONTHS: Record<PaymentPlan, number> = { monthly: 1, quarterly: 3, annual: 12, three_year: 36 };

/** Adds one billing term to a UTC instant (month arithmetic clamps to the month's last day). */
export function addTerm(fromMs: number, plan: PaymentPlan, terms = 1): number {
  const d = new Date(fromMs);
  const day = d.getUTCDate();
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + TERM_MONTHS[plan] * terms, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()));
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, last));
  return target.getTime();
}

/** Endpoint tiers and their bandwidth caps (seed 002, SPEC §4); the policy that applies them is licensing/. */
export const ENDPOINT_TIERS = ENDPOINT_TIER_KBPS;
export type EndpointTier = keyof typeof ENDPOINT_TIERS;
export const ENDPOINT_TIER_NAMES = ['basic', 'plus', 'premium'] as const;

export function poolForTier(tier: EndpointTier): LicencePool {
  return `endpoint_${tier}`;
}

/** Sums pool capacities over plans (-1 wins: unlimited). */
export function sumCapacity(plans: { pools: Partial<Record<LicencePool, number>> }[]): Partial<Record<LicencePool, number>> {
  const out: Partial<Record<LicencePool, number>> = {};
  for (const p of plans) {
    for (const [pool, q] of Object.entries(p.pools) as [LicencePool, number][]) {
      const prev = out[pool] ?? 0;
      out[pool] = prev === UNLIMITED || q === UNLIMITED ? UNLIMITED : prev + q;
    }
  }
  return out;
}
