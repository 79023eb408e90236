import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeToneWav } from './support/audio-analysis.js';
import { useBaresipCalls } from './support/baresip-calls.js';
import { eventually } from './support/convene-process.js';
import { createRoom } from './support/service-fixture.js';

/**
 * A provisioned room system calling in: it registered with the node (real baresip, digest auth
 * with the credentials from its provisioning), so a call whose From and source match that live
 * registration is that endpoint — its name and bandwidth tier apply, and in a room of its own
 * company it is host without a PIN. The same room's PIN still stops an unregistered caller.
 */
const calls = useBaresipCalls({ name: 'sip-endpoint-' });

describe('a registered endpoint calls a room of its company', () => {
  it('joins as host without a PIN, with its provisioned name and tier', async () => {
    const { f, dir } = calls;
    const company = await f.api<{ id: string }>('POST', '/companies', { name: 'Room Systems Co' });
    for (const planType of ['enterprise_user', 'endpoint_plus']) {
      await f.api('POST', `/companies/${company.id}/plans`, {
        planType, quantity: 2, pricePerLicenceCents: 500, currency: 'EUR', paymentPlan: 'monthly', autoRenew: true, costCenter: 'av', references: '', reference: 'test',
      });
    }
    const created = await f.api<{ id: string; address: string }>('POST', `/companies/${company.id}/endpoints`, {
      name: 'Boardroom Codec', localPart: 'boardroom.codec', domain: f.service.admin.config.defaultDomain, tier: 'plus',
    });
    const prov = await f.api<{ sip: { username: string; password: string } }>('GET', `/companies/${company.id}/endpoints/${created.id}/provisioning`);
    const room = await createRoom(f, company.id, { hostPin: '4321' });
    const sipPort = f.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port;
    const tone = path.join(dir, 'tone.wav');
    writeToneWav(tone, 700, 60);

    const codec = await calls.startCaller({
      user: 'boardroom', sourceWav: tone, audioCodecs: ['PCMU'],
      register: { address: created.address, username: prov.sip.username, password: prov.sip.password, registrarPort: sipPort },
    });
    await eventually(async () => (await f.service.sipRegistrar.contactsFor(`sip:${created.address}`)).length > 0, 20_000);
    await codec.dial(`sip:${room.address.split('@')[0]}@127.0.0.1:${sipPort}`);

    await eventually(() => f.service.calls.list().some((c) => c.state === 'in_meeting'), 20_000);
    const meeting = f.service.meetings.liveMeetings().find((m) => m.room.id === room.id)!;
    const [p] = [...meeting.participants.values()];
    expect(p).toMatchObject({ kind: 'sip', role: 'host', displayName: 'Boardroom Codec', tier: 'plus', bandwidthKbps: 1500 });
    await codec.hangup();
    await eventually(() => f.service.calls.size === 0, 10_000);
  });
});
