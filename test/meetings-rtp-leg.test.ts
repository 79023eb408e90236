import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCapabilities } from '../sfu/src/media/testing/rtp-fixtures.js';
import { RtpPeer } from '../sfu/src/media/testing/rtp-peer.js';
import { attachOpusRtpLeg } from './support/rtp-participant.js';
import { SignalingClient } from './support/signaling-client.js';
import { createCompany, createRoom, startServiceFixture, type ServiceFixture } from './support/service-fixture.js';

/**
 * A non-browser participant through the MeetingsApi on a whole node: a SIP room system joins with
 * kind 'sip', gets an RTP leg on the real mediasoup worker and sends Opus over UDP. The browser
 * participant (real signalling protocol) sees it in the roster with its kind, is offered its audio,
 * and the host's mute pauses it — the same Meeting path as for a browser, state from the media port.
 */
let f: ServiceFixture;
let companyId: string;
const clients: SignalingClient[] = [];
const peers: RtpPeer[] = [];

beforeAll(async () => {
  f = await startServiceFixture();
  companyId = await createCompany(f);
});
afterAll(async () => {
  for (const c of clients) c.close();
  for (const p of peers) p.close();
  await f.stop();
});


describe('a SIP participant in a browser meeting, through the MeetingsApi', () => {
  it('shows in the roster with its kind, its audio reaches the browser as a consumer, and the host mutes it', async () => {
    const room = await createRoom(f, companyId, { hostPin: '2468', guestPin: '1357' });
    const { client: host } = await SignalingClient.open(f.wsUrl);
    clients.push(host);
    const joined = await host.request('join', { address: room.address, displayName: 'Browser Host', pin: '2468', mode: 'video', bandwidthKbps: 1200 });
    await host.request('media.setCapabilities', { rtpCapabilities: clientCapabilities(joined.routerRtpCapabilities as never) as never });
    await host.request('transport.create', { direction: 'recv' });

    const sip = await f.service.meetings.join({
      address: room.address,
      displayName: 'Boardroom',
      pin: '1357',
      mode: 'audio-only',
      bandwidthKbps: 1200,
      kind: 'sip',
      callerAddress: 'sip:boardroom@example.com',
      source: '127.0.0.1',
    });
    expect(await sip.state()).toBe('joined');
    expect(await host.waitFor('roster.joined', (d) => d.participant.id === sip.participantId)).toMatchObject({
      participant: { displayName: 'Boardroom', kind: 'sip', role: 'guest', audioMuted: true },
    });

    const { leg, peer, stopStream: stop } = await attachOpusRtpLeg(sip, { maxPackets: 500 });
    peers.push(peer);

    // The roster hears of the new producer from the core port, not from any WebSocket handler.
    await host.waitFor('roster.updated', (d) => d.participant.id === sip.participantId && !d.participant.audioMuted);
    const consumer = await host.waitFor('consumer.added', (c) => c.participantId === sip.participantId && c.kind === 'audio');
    // The RTP from the UDP socket arrives at the SFU's transport.
    await expect.poll(async () => (await leg.sfu.transportStats())[0]?.rtpBytesReceived ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);

    // The host mutes the room system from the browser: one Meeting path, whatever the kind.
    const mutedBy: string[] = [];
    sip.events.on('mutedByHost', (by) => mutedBy.push(by));
    expect(await host.request('host.mute', { participantId: sip.participantId })).toEqual({ muted: 1 });
    await host.waitFor('roster.updated', (d) => d.participant.id === sip.participantId && d.participant.audioMuted);
    await host.waitFor('consumer.paused', (d) => d.consumerId === consumer.id);
    expect(leg.producers()).toMatchObject([{ source: 'mic', paused: true }]);
    expect(mutedBy).toEqual([joined.participantId]);

    // And removes it: its leg closes, the browser sees it leave.
    const left: string[] = [];
    sip.events.on('left', (r) => left.push(r));
    await host.request('host.disconnect', { participantId: sip.participantId });
    expect(await host.waitFor('roster.left', (d) => d.participantId === sip.participantId)).toEqual({ participantId: sip.participantId, reason: 'removed_by_host' });
    expect(left).toEqual(['removed_by_host']);
    expect(leg.closed).toBe(true);
    stop();
  });
});
