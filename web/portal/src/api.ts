/**
 * The REST client: bearer token from the login screen, JSON in and out, errors as ApiError
 * carrying the server's machine-readable code (`{ error: { code, message } }`).
 */
const BASE = '/api/v1';
const TOKEN_KEY = 'convene.portal.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Who is signed in (set by main.ts): views word their hints by role. */
export const session: { role: Role | null } = { role: null };

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (t: string): void => sessionStorage.setItem(TOKEN_KEY, t),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const t = token.get();
  return { ...(t ? { authorization: `Bearer ${t}` } : {}), ...extra };
}

async function fail(res: Response): Promise<never> {
  let code = `http_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  let details: unknown;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
    details = body.error?.details;
  } catch {
    // not JSON: keep the status text
  }
  if (res.status === 401) window.dispatchEvent(new CustomEvent('portal:unauthorized'));
  throw new ApiError(res.status, code, `${message} (${code})`, details);
}

type Query = Record<string, string | number | undefined>;

function url(path: string, query?: Query): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `${BASE}${path}${s ? `?${s}` : ''}`;
}

async function request<T>(method: string, path: string, body?: unknown, opts: { query?: Query; idempotent?: boolean } = {}): Promise<T> {
  const extra: Record<string, string> = {};
  if (body !== undefined) extra['content-type'] = 'application/json';
  // A fresh key per user action: a network retry of the same request cannot create twice.
  if (opts.idempotent) extra['idempotency-key'] = crypto.randomUUID();
  const res = await fetch(url(path, opts.query), { method, headers: headers(extra), body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) return fail(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, undefined, { query }),
  post: <T>(path: string, body: unknown = {}, idempotent = false) => request<T>('POST', path, body, { idempotent }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  del: <T>(path: string) => request<T>('DELETE', path),
  /** Fetches a file with the bearer token and hands it to the browser as a download. */
  async download(path: string, filename: string, query?: Query): Promise<void> {
    const res = await fetch(url(path, query), { headers: headers() });
    if (!res.ok) return fail(res);
    const blob = await res.blob();
    const href = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = href;
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
  },
  /** Fetches an image (e.g. a QR code) with the bearer token as an object URL. */
  async objectUrl(path: string, query?: Query): Promise<string> {
    const res = await fetch(url(path, query), { headers: headers() });
    if (!res.ok) return fail(res);
    return URL.createObjectURL(await res.blob());
  },
};

// ---- response shapes (from server/src/admin/model.ts) -------------------------------------------

export type Role = 'operator' | 'partner_admin' | 'company_admin' | 'member';
export interface Principal {
  tokenId: string;
  role: Role;
  name: string;
  partnerId: string;
  companyId: string | null;
  memberId: string | null;
  createdAt: string;
}
export interface Partner {
  id: string;
  name: string;
  createdAt: string;
}
export interface DialInNumber {
  number: string;
  label: string;
  /** null = held by the service operator (a service-wide IVR number). */
  partnerId: string | null;
  target: { kind: 'ivr' } | { kind: 'vmr'; companyId: string; vmrId: string };
  createdAt: string;
}
export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}
export interface Company {
  id: string;
  name: string;
  contactEmail: string | null;
  createdAt: string;
  evaluation: { endsAt: string } | null;
  /** The server's verdict: the evaluation is open now (its end date may have passed). */
  evaluationOpen: boolean;
  maxParticipantsPerMeeting: number | null;
  /** Call bandwidth cap (kbps) for browsers and unregistered callers; null/absent = the service default. */
  maxCallBandwidthKbps?: number | null;
  deletedAt: string | null;
  recordsKeptUntil: string | null;
}
/** What a plan offers (server: licences/catalog.ts, seed 002 — the choices depend on the plan type). */
export type PlanAction = 'order' | 'increase' | 'decrease' | 'payment_plan' | 'renew' | 'auto_renew' | 'cancel';
export interface CompanyDeletion {
  company: Company;
  consumersDeactivated: number;
  addressesReleased: number;
  plansEnded: number;
}
export interface PlanType {
  id: string;
  sku: string;
  product: string;
  category: string;
  orderable: boolean;
  actions: PlanAction[];
  renewalQuantity: 'any' | 'same_or_lower' | 'same';
}
export interface Plan {
  id: string;
  planType: string;
  sku: string;
  product: string;
  quantity: number;
  /** Partner admins only (the API leaves pricing out for company admins). */
  pricePerLicenceCents?: number;
  currency?: string;
  paymentPlan: string;
  startDate: string;
  renewalDate: string;
  autoRenew: boolean;
  costCenter?: string;
  references: string;
  status: 'active' | 'expired';
  cancelledAt: string | null;
  /** What this plan offers now (by its type and state). */
  actions: PlanAction[];
}
export interface OrderEvent {
  id: string;
  at: string;
  user: string;
  sku: string;
  product: string;
  paymentPlan: string;
  reference: string;
  change: string;
  newQuantity: number;
}
export interface LicenceRow {
  pool: string;
  product: string;
  orderPlanTypes: string[];
  capacity: number;
  used: number;
  available: number | null;
}
interface ConsumerBase {
  id: string;
  companyId: string;
  state: 'invited' | 'active' | 'inactive';
  trial: boolean;
  createdAt: string;
  deactivatedReason: string | null;
}
export interface Member extends ConsumerBase, RoomFacts {
  kind: 'user';
  name: string;
  email: string;
  personalAddress: string;
  vmrAddress: string;
  vmrId: string;
  settings: { defaultJoinMode: string; callBandwidthKbps: number };
  invitedAt: string;
  acceptedAt: string | null;
}
/** Listed users and team VMRs carry their room's numeric ID and PIN state. */
interface RoomFacts {
  numericId?: string | null;
  hostPinSet?: boolean;
  guestPinSet?: boolean;
}
export interface TeamVmr extends ConsumerBase, RoomFacts {
  kind: 'team_vmr';
  name: string;
  address: string;
  vmrId: string;
}
export interface OutboxMail {
  id: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  queuedAt: number;
}
export interface Handout {
  company: { name: string };
  endpoints: { name: string; address: string; tier: string }[];
  users: { name: string; personalAddress: string; vmrAddress: string; numericId?: string; invited?: boolean }[];
  teamVmrs: { name: string; address: string; numericId: string }[];
  dialInNumbers: { number: string; label: string }[];
  dialInHint: string | null;
  generatedAt: string;
}
export interface Endpoint extends ConsumerBase {
  kind: 'endpoint';
  name: string;
  address: string;
  tier: 'basic' | 'plus' | 'premium';
  bandwidthKbps: number;
  usageModel: 'shared' | 'personal';
  sipUsername: string;
}
export interface CallingDomain extends ConsumerBase {
  kind: 'domain';
  domain: string;
  verified: boolean;
  verifiedAt: string | null;
  verifiedBy: string | null;
  lastVerifyFailure: string | null;
}
export interface Vmr {
  id: string;
  numericId: string;
  addresses: string[];
  displayName: string;
  hostPinSet: boolean;
  guestPinSet: boolean;
  allowGuests: boolean;
  defaultLayout: string;
  defaultBandwidthKbps: number;
  state: 'active' | 'inactive';
}
export interface Cdr {
  id: string;
  kind: string;
  direction: string;
  protocol: string;
  from: string;
  to: string;
  displayName: string;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  endReason: string | null;
  anonymized: boolean;
  participantKind?: string;
  callerAddress?: string | null;
  role?: string;
  vmrId: string | null;
}
