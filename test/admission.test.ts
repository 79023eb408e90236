/**
 * Admission control (issue 12, item 9): with the media CPU threshold set to 0 a real node is
 * "always over its limit", so new joins get node_overloaded and new SIP calls 503 + Retry-After.
 * No CPU is faked: the node's own sampler of its mediasoup workers makes the decision.
 */
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createRoom, startServiceFixture, type ServiceFixture } from './support/service-fixture.js';
import { SignalingClient } from './support/signaling-client.js';

describe('a node whose media workers are over the CPU threshold', () => {
  let f: ServiceFixture;
  let room: string;

  beforeAll(async () => {
    f = await startServiceFixture({ sfu: { admission: { maxWorkerCpu: 0, sampleIntervalMs: 200, retryAfterSeconds: 7 } } });
    room = (await createRoom(f, await createCompany(f))).address;
  });
  afterAll(async () => f?.stop());

  it('refuses new joins with node_overloaded and retryAfterSeconds, and says so in /metrics', async () => {
    const { client } = await SignalingClient.open(f.wsUrl);
    const refusal = await client.refusal('join', { address: room, displayName: 'Late', mode: 'video', bandwidthKbps: 576 });
    expect(refusal).toMatchObject({ code: 'node_overloaded', details: { retryAfterSeconds: 7 } });
    client.close();
    const metrics = await (await fetch(`${f.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^convene_admission_refusing 1$/m);
    expect(metrics).toMatch(/^convene_media_worker_cpu_load \d/m);
  });

  it('answers a new SIP call with 503 and Retry-After', async () => {
    const port = f.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port;
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const local = socket.address().port;
    const invite = Buffer.from(
      `INVITE sip:${room} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bKadm1;rport\r\nMax-Forwards: 70\r\n` +
        `To: <sip:${room}>\r\nFrom: <sip:caller@example.org>;tag=a1\r\nCall-ID: admission-1\r\nCSeq: 1 INVITE\r\n` +
        `Contact: <sip:caller@127.0.0.1:${local}>\r\nContent-Length: 0\r\n\r\n`,
    );
    const answer = new Promise<string>((resolve) => socket.on('message', (m) => resolve(m.toString('latin1'))));
    socket.send(invite, port, '127.0.0.1');
    const text = await answer;
    socket.close();
    expect(text).toMatch(/^SIP\/2\.0 503 /);
    expect(text).toMatch(/^Retry-After: 7\r$/m);
  });
});
