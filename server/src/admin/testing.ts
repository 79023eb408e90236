/**
 * Test harness for admin API tests: a real Redis (startTestRedis), a fastify app with the
 * shared error handler, a ManualClock, and the bootstrap partner-admin token.
 */
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { ManualClock } from '../../../common/src/index.js';
import { startTestRedis, type TestRedis } from '../../../test/support/redis.js';
import { installErrorHandler } from '../http/error-handler.js';
import { createAdmin, type Admin, type AdminConfigInput } from './index.js';

/**
 * A parsed JSON body, loosely typed for assertions without `any`: the field names the tests read
 * are declared (so noUncheckedIndexedAccess does not make every step optional); convert leaves
 * with str()/list(). A missing field is simply undefined at run time and fails the assertion.
 */
export interface Loose {
  [key: string]: Loose | undefined;
  Error: Loose;
  address: Loose;
  bandwidth: Loose;
  action: Loose;
  actor: Loose;
  after: Loose;
  bandwidthKbps: Loose;
  before: Loose;
  body: Loose;
  change: Loose;
  code: Loose;
  components: Loose;
  content: Loose;
  details: Loose;
  enum: Loose;
  error: Loose;
  id: Loose;
  items: Loose;
  member: Loose;
  name: Loose;
  number: Loose;
  nextCursor: Loose;
  numericId: Loose;
  ok: Loose;
  outcome: Loose;
  partnerId: Loose;
  partners: Loose;
  openapi: Loose;
  parameters: Loose;
  password: Loose;
  partner: Loose;
  paths: Loose;
  paymentPlan: Loose;
  planType: Loose;
  pool: Loose;
  post: Loose;
  properties: Loose;
  quantity: Loose;
  remindersSent: Loose;
  renewalDate: Loose;
  requestBody: Loose;
  results: Loose;
  role: Loose;
  schema: Loose;
  schemas: Loose;
  settings: Loose;
  sip: Loose;
  sipPassword: Loose;
  source: Loose;
  startDate: Loose;
  state: Loose;
  target: Loose;
  targets: Loose;
  team: Loose;
  text: Loose;
  tier: Loose;
  token: Loose;
  total: Loose;
  user: Loose;
  value: Loose;
  verificationRecord: Loose;
  verified: Loose;
  vmr: Loose;
}
export const list = (x: Loose | undefined): Loose[] => (Array.isArray(x) ? (x as unknown as Loose[]) : []);
export const str = (x: Loose | undefined): string => String(x);

export interface Harness {
  redis: TestRedis;
  app: FastifyInstance;
  admin: Admin;
  clock: ManualClock;
  registry: Registry;
  partnerToken: string;
  /** The service-operator token generated at bootstrap. */
  operatorToken: string;
  /** inject() with a bearer token and JSON body; returns status and parsed JSON (or text). */
  call(token: string | null, method: InjectOptions['method'], url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Loose; text: string; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startHarness(config: AdminConfigInput = {}, existingRedis?: TestRedis, options: { logger?: Logger } = {}): Promise<Harness> {
  const redis = existingRedis ?? (await startTestRedis());
  const clock = new ManualClock(Date.UTC(2026, 0, 15, 12, 0, 0));
  const registry = new Registry();
  const logger = options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const admin = createAdmin({ redis: redis.client, clock, logger, registry, config: {
      defaultDomain: 'convene.example',
      // Hermetic DNS: unless a test starts its own dnsmasq, lookups go to a closed loopback port
      // (refused at once) — never to the machine's resolvers.
      domainVerification: { resolverServers: ['127.0.0.1:1'] },
      ...config,
    },
  });
  const app = Fastify({ logger: false });
  installErrorHandler(app);
  admin.registerRoutes(app);
  await app.ready();
  const boot = await admin.bootstrap();
  if (!boot.token) throw new Error('harness expects a fresh Redis');
  const operatorToken = boot.operatorToken ?? config.operatorToken ?? '';
  const call: Harness['call'] = async (token, method, url, body, headers = {}) => {
    const res = await app.inject({
      method,
      url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    let parsed: unknown = undefined;
    try {
      parsed = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.statusCode, body: (parsed ?? {}) as Loose, text: res.body, headers: res.headers };
  };
  return {
    redis,
    app,
    admin,
    clock,
    registry,
    partnerToken: boot.token,
    operatorToken,
    call,
    async close() {
      admin.close();
      await app.close();
      if (!existingRedis) await redis.stop();
    },
  };
}

/** Creates a company and orders plans; returns its id. */
export async function companyWithPlans(h: Harness, name: string, plans: { planType: string; quantity: number; autoRenew?: boolean; paymentPlan?: string }[], extra: Record<string, unknown> = {}): Promise<string> {
  const c = await h.call(h.partnerToken, 'POST', '/api/v1/companies', { name, ...extra });
  if (c.status !== 201) throw new Error(`company create failed: ${c.text}`);
  for (const p of plans) {
    const r = await h.call(h.partnerToken, 'POST', `/api/v1/companies/${c.body.id}/plans`, {
      planType: p.planType,
      quantity: p.quantity,
      pricePerLicenceCents: 1000,
      paymentPlan: p.paymentPlan ?? 'monthly',
      autoRenew: p.autoRenew ?? true,
    });
    if (r.status !== 201) throw new Error(`plan order failed: ${r.text}`);
  }
  return str(c.body.id);
}

export interface PartnerWorld {
  partnerId: string;
  /** The partner's admin token (issued by the operator). */
  token: string;
  companyId: string;
  /** A company admin of that company. */
  companyAdminToken: string;
  planId: string;
  vmrId: string;
}

/** The operator creates a partner; its admin creates a company with an EUL plan and a team VMR. */
export async function partnerWithCompany(h: Harness, name: string, localPart: string): Promise<PartnerWorld> {
  const p = await h.call(h.operatorToken, 'POST', '/api/v1/partners', { name });
  if (p.status !== 201) throw new Error(`partner create failed: ${p.text}`);
  const token = str(p.body.token);
  const c = await h.call(token, 'POST', '/api/v1/companies', { name: `${name} customer` });
  if (c.status !== 201) throw new Error(`company create failed: ${c.text}`);
  const companyId = str(c.body.id);
  const plan = await h.call(token, 'POST', `/api/v1/companies/${companyId}/plans`, { planType: 'enterprise_user', quantity: 5, pricePerLicenceCents: 1000, paymentPlan: 'monthly' });
  if (plan.status !== 201) throw new Error(`plan order failed: ${plan.text}`);
  const team = await h.call(token, 'POST', `/api/v1/companies/${companyId}/team-vmrs`, { name: `${name} room`, localPart });
  if (team.status !== 201) throw new Error(`team VMR create failed: ${team.text}`);
  const admin = await h.call(token, 'POST', `/api/v1/companies/${companyId}/admins`, { name: `${name} company admin` });
  if (admin.status !== 201) throw new Error(`company admin create failed: ${admin.text}`);
  return { partnerId: str(p.body.partner.id), token, companyId, companyAdminToken: str(admin.body.token), planId: str(plan.body.id), vmrId: str(team.body.vmr.id) };
}
