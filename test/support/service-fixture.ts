import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import YAML from 'yaml';
import type { Clock } from '../../common/src/index.js';
import { loadConveneConfig } from '../../bin/config.js';
import { startService, type RunningService } from '../../bin/service.js';

export const BOOTSTRAP_TOKEN = 'test-bootstrap-token-0123456789abcdef';

export interface ServiceFixture {
  service: RunningService;
  httpUrl: string;
  wsUrl: string;
  /** Calls the admin REST API as the bootstrap partner admin; throws on non-2xx. */
  api<T = Record<string, unknown>>(method: string, urlPath: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/**
 * A whole Convene node in this test process: embedded Redis in a temp dir, one media worker on
 * free ports, HTTP on port 0, and a known bootstrap admin token. `overrides` is merged over the
 * shipped defaults exactly like an operator's config file.
 */
export async function startServiceFixture(overrides: Record<string, unknown> = {}, opts: { clock?: Clock } = {}): Promise<ServiceFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-fixture-'));
  const base = {
    log: { level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false },
    http: { host: '127.0.0.1', port: 0 },
    store: { embedded: { dataDir: path.join(dir, 'redis') } },
    sfu: { workers: 1, webRtcServer: { listenIp: '127.0.0.1', basePort: 0 } },
    admin: { bootstrapToken: BOOTSTRAP_TOKEN },
    sip: { transports: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }, { protocol: 'tcp', host: '127.0.0.1', port: 0 }] },
    shutdown: { graceMs: 3000 },
  };
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, YAML.stringify(mergeDeep(base, overrides)));
  const config = loadConveneConfig(file, {});
  const logger = pino({ level: config.log.level });
  const service = await startService(config, logger, 'test', opts);
  const port = (service.http.app.server.address() as { port: number }).port;
  const httpUrl = `http://127.0.0.1:${port}`;
  return {
    service,
    httpUrl,
    wsUrl: `ws://127.0.0.1:${port}${config.signaling.path}`,
    async api<T>(method: string, urlPath: string, body?: unknown): Promise<T> {
      const res = await fetch(`${httpUrl}/api/v1${urlPath}`, {
        method,
        headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${urlPath} → ${res.status}: ${text}`);
      return (text ? JSON.parse(text) : {}) as T;
    },
    async stop() {
      await service.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function mergeDeep(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)
        ? mergeDeep(cur as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export interface RoomOptions {
  hostPin?: string;
  guestPin?: string;
  allowGuests?: boolean;
  participantLimit?: number;
}

/** A company with Enterprise User Licences, seeded through the admin API like a partner would. */
export async function createCompany(f: ServiceFixture, opts: { name?: string; maxParticipantsPerMeeting?: number; eul?: number } = {}): Promise<string> {
  const company = await f.api<{ id: string }>('POST', '/companies', {
    name: opts.name ?? `Company ${Math.random().toString(36).slice(2, 8)}`,
    ...(opts.maxParticipantsPerMeeting ? { maxParticipantsPerMeeting: opts.maxParticipantsPerMeeting } : {}),
  });
  await f.api('POST', `/companies/${company.id}/plans`, {
    planType: 'enterprise_user',
    quantity: opts.eul ?? 100,
    pricePerLicenceCents: 1000,
    currency: 'EUR',
    paymentPlan: 'monthly',
    autoRenew: true,
    costCenter: 'test',
    references: '',
    reference: 'test',
  });
  return company.id;
}

let roomCounter = 0;
/** A team VMR on the default domain with the given PIN settings; returns its address. */
export async function createRoom(f: ServiceFixture, companyId: string, opts: RoomOptions = {}): Promise<{ address: string; id: string; numericId: string }> {
  const localPart = `room.${process.pid}.${++roomCounter}.${Math.random().toString(36).slice(2, 6)}`;
  const created = await f.api<{ team: { id: string }; vmr: { id: string; numericId: string; addresses: string[] } }>(
    'POST',
    `/companies/${companyId}/team-vmrs`,
    { name: `Room ${roomCounter}`, localPart, domain: f.service.admin.config.defaultDomain },
  );
  if (Object.keys(opts).length > 0) {
    await f.api('PATCH', `/companies/${companyId}/team-vmrs/${created.team.id}`, opts);
  }
  return { address: created.vmr.addresses[0]!, id: created.vmr.id, numericId: created.vmr.numericId };
}

/** A company member who was invited by mail and accepted: their portal token and personal VMR. */
export interface AcceptedMember {
  token: string;
  id: string;
  vmrId: string;
  address: string;
}

/** Invites `name` as a user of the company (mail to the node's outbox) and accepts the invitation as they would. */
export async function inviteAndAcceptMember(f: ServiceFixture, companyId: string, user: { name: string; email: string; localPart: string }): Promise<AcceptedMember> {
  await f.api('POST', `/companies/${companyId}/users`, user);
  const mails = await f.api<{ text: string }[]>('GET', `/outbox?to=${encodeURIComponent(user.email)}`);
  const invitation = /accept\?token=([A-Za-z0-9_%-]+)/.exec(mails[0]?.text ?? '')?.[1];
  if (!invitation) throw new Error('no invitation link');
  const res = await fetch(`${f.httpUrl}/api/v1/invitations/accept`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: decodeURIComponent(invitation) }),
  });
  const accepted = (await res.json()) as { token: string; member: { id: string; vmrAddress: string }; vmr: { id: string } };
  return { token: accepted.token, id: accepted.member.id, vmrId: accepted.vmr.id, address: accepted.member.vmrAddress };
}
