import type { FastifyInstance } from 'fastify';

export interface DemoRoom {
  address: string;
  numericId: string;
  hostPin: string | null;
  guestPin: string | null;
  description: string;
}

/** The rooms a fresh install offers, documented in the README. */
const DEMO_ROOMS = [
  { localPart: 'demo.meeting', name: 'Demo meeting (no PIN)', hostPin: null, guestPin: null, description: 'no PIN: everyone joins as host' },
  { localPart: 'demo.hostpin', name: 'Demo host PIN', hostPin: '1234', guestPin: null, description: 'host PIN 1234 required' },
  { localPart: 'demo.lobby', name: 'Demo lobby', hostPin: '1234', guestPin: '5678', description: 'host PIN 1234, guest PIN 5678 (guests wait for a host)' },
] as const;

/**
 * First start only: a demo company with Enterprise User Licences and three team VMRs, created
 * through the administration API like any partner would, so `npm start` has rooms to join.
 */
export async function seedDemo(app: FastifyInstance, token: string, defaultDomain: string): Promise<DemoRoom[]> {
  const call = async <T>(method: 'POST' | 'PATCH', url: string, payload: unknown): Promise<T> => {
    const res = await app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, payload: payload as object });
    if (res.statusCode >= 300) throw new Error(`demo seed: ${method} ${url} → ${res.statusCode} ${res.body}`);
    return res.json<T>();
  };
  const company = await call<{ id: string }>('POST', '/companies', { name: 'Demo Company' });
  await call('POST', `/companies/${company.id}/plans`, {
    planType: 'enterprise_user',
    quantity: 10,
    pricePerLicenceCents: 0,
    currency: 'EUR',
    paymentPlan: 'annual',
    autoRenew: true,
    costCenter: 'demo',
    references: 'seeded at first start',
    reference: 'demo seed',
  });
  const rooms: DemoRoom[] = [];
  for (const r of DEMO_ROOMS) {
    const created = await call<{ team: { id: string }; vmr: { addresses: string[]; numericId: string } }>('POST', `/companies/${company.id}/team-vmrs`, {
      name: r.name,
      localPart: r.localPart,
      domain: defaultDomain,
    });
    if (r.hostPin) {
      await call('PATCH', `/companies/${company.id}/team-vmrs/${created.team.id}`, {
        hostPin: r.hostPin,
        ...(r.guestPin ? { guestPin: r.guestPin } : {}),
      });
    }
    rooms.push({ address: created.vmr.addresses[0]!, numericId: created.vmr.numericId, hostPin: r.hostPin, guestPin: r.guestPin, description: r.description });
  }
  return rooms;
}
