import { randomInt } from 'node:crypto';
import type { RtpCapabilities, RtpCodecCapability, RtpParameters } from 'mediasoup/node/lib/types.js';
import { describe, expect, it } from 'vitest';
import { meetingMediaCodecs } from './codecs.js';
import type { MediaRoom } from './media-room.js';
import type { ParticipantMedia } from './participant-media.js';
import type { RtpLeg } from './rtp-leg.js';
import { clientCapabilities, opusParameters } from './testing/rtp-fixtures.js';
import { until, useMediaRooms } from './testing/media-rooms.js';
import type { ConsumerInfo, JoinMode, MediaCloseReason } from './types.js';

const rooms = useMediaRooms({ workers: 1 });
const { openRoom, peer } = rooms;

// What a SIP phone / room system says in its SDP, with its own payload types.
const OPUS_PT = 107;
const H264_PT = 109;
const AUDIO_LEVEL_EXT = 1;
const opusCap: RtpCodecCapability = { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: OPUS_PT, parameters: {}, rtcpFeedback: [] };
const pcmuCap: RtpCodecCapability = { kind: 'audio', mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, preferredPayloadType: 0, parameters: {}, rtcpFeedback: [] };
const h264Cap: RtpCodecCapability = {
  kind: 'video',
  mimeType: 'video/H264',
  clockRate: 90000,
  preferredPayloadType: H264_PT,
  parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
};
const phoneCaps = (...codecs: RtpCodecCapability[]): RtpCapabilities => ({ codecs: codecs.length ? codecs : [opusCap], headerExtensions: [] });

function audioParameters(codec: RtpCodecCapability, ssrc: number, withLevel = false): RtpParameters {
  return {
    codecs: [{ mimeType: codec.mimeType, payloadType: codec.preferredPayloadType!, clockRate: codec.clockRate, channels: codec.channels ?? 1, parameters: {}, rtcpFeedback: [] }],
    headerExtensions: withLevel ? [{ uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: AUDIO_LEVEL_EXT }] : [],
    encodings: [{ ssrc }],
    rtcp: { cname: `c${ssrc}`, reducedSize: false },
  };
}

function h264Parameters(ssrc: number): RtpParameters {
  return {
    codecs: [{ mimeType: 'video/H264', payloadType: H264_PT, clockRate: 90000, parameters: h264Cap.parameters, rtcpFeedback: h264Cap.rtcpFeedback }],
    headerExtensions: [],
    encodings: [{ ssrc }],
    rtcp: { cname: `v${ssrc}`, reducedSize: false },
  };
}

/** H.264 single NAL units: an SPS (what mediasoup takes as the start of a key frame), then slices. */
const h264Nal = (i: number) => (i % 10 === 0 ? Buffer.from([0x67, 0x42, 0xe0, 0x1f, 0xda, 0x02, 0x80, 0xf6, 0x9b]) : Buffer.from([0x65, 0x88, 0x84, ...new Array<number>(40).fill(0xab)]));
const ssrc = () => randomInt(1, 2 ** 31);

async function rtpLeg(room: MediaRoom, id: string, mode: JoinMode, caps: RtpCapabilities): Promise<RtpLeg & { closedWith: MediaCloseReason[] }> {
  const leg = (await room.addRtpLeg(id, { mode, maxIncomingBitrateBps: 0, maxOutgoingBitrateBps: 0, rtpCapabilities: caps })) as RtpLeg & { closedWith: MediaCloseReason[] };
  leg.closedWith = [];
  leg.events.on('closed', (r) => leg.closedWith.push(r));
  return leg;
}

async function browser(room: MediaRoom, id: string): Promise<{ media: ParticipantMedia; added: ConsumerInfo[]; closed: string[] }> {
  const media = await room.addParticipant(id, { mode: 'video', maxIncomingBitrateBps: 1_000_000, maxOutgoingBitrateBps: 2_000_000, rtpCapabilities: clientCapabilities(room.rtpCapabilities) });
  const b = { media, added: [] as ConsumerInfo[], closed: [] as string[] };
  media.events.on('consumerAdded', (c) => b.added.push(c));
  media.events.on('consumerClosed', (c) => b.closed.push(c));
  await media.createTransport('recv');
  return b;
}

describe('RTP legs (real mediasoup worker, RTP over UDP on 127.0.0.1)', () => {
  it('a caller behind NAT (comedia) sends hand-built Opus and PCMU: producers appear with score, bytes and audio level, and browsers consume them', async () => {
    const room = await openRoom('rtp-in', { audioLevelIntervalMs: 500 });
    const web = await browser(room, 'web');

    const opusLeg = await rtpLeg(room, 'phone-opus', 'audio-only', phoneCaps(opusCap));
    const t1 = await opusLeg.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: true });
    expect(t1).toMatchObject({ role: 'audio', ip: '127.0.0.1', comedia: true, rtcpMux: true });
    expect(t1.rtcpPort).toBeUndefined();
    expect(t1.srtpParameters).toBeUndefined();
    const ssrc1 = ssrc();
    const mic1 = await opusLeg.produce({ transportId: t1.id, kind: 'audio', source: 'mic', rtpParameters: audioParameters(opusCap, ssrc1, true) });
    const scored = opusLeg.events.waitFor('producerScore', 15_000);
    const level = opusLeg.events.waitFor('audioLevel', 15_000);
    const caller1 = await peer();
    caller1.stream(t1.port, { payloadType: OPUS_PT, ssrc: ssrc1, timestampStep: 960, audioLevel: { extensionId: AUDIO_LEVEL_EXT, dBov: -20 } });

    expect((await scored)[0]).toBe(mic1);
    expect(opusLeg.producers()[0]!.score).toBeGreaterThan(0);
    const [levelProducer, dBov] = await level;
    expect(levelProducer).toBe(mic1);
    expect(dBov).toBe(-20);
    // comedia latched onto the caller's address; bytes keep growing.
    const first = await until(async () => (await opusLeg.transportStats()).find((s) => s.rtpBytesReceived > 0), 'RTP bytes');
    expect(first).toMatchObject({ role: 'audio', remoteIp: '127.0.0.1', remotePort: caller1.port });
    await until(async () => (await opusLeg.transportStats())[0]!.rtpBytesReceived > first.rtpBytesReceived, 'growing RTP bytes');

    // G.711 from a phone, RTCP on its own port.
    const pcmuLeg = await rtpLeg(room, 'phone-pcmu', 'audio-only', phoneCaps(pcmuCap));
    const t2 = await pcmuLeg.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: false });
    expect(t2.rtcpMux).toBe(false);
    expect(t2.rtcpPort).toEqual(expect.any(Number));
    expect(t2.rtcpPort).not.toBe(t2.port);
    const ssrc2 = ssrc();
    const mic2 = await pcmuLeg.produce({ transportId: t2.id, kind: 'audio', source: 'mic', rtpParameters: audioParameters(pcmuCap, ssrc2) });
    const scored2 = pcmuLeg.events.waitFor('producerScore', 15_000);
    (await peer()).stream(t2.port, { payloadType: 0, ssrc: ssrc2, timestampStep: 160, payload: () => Buffer.alloc(160, 0xff) });
    expect((await scored2)[0]).toBe(mic2);

    // Browsers hear RTP legs directly (they mix audio themselves).
    await until(() => web.added.length === 2, 'browser consumers');
    expect(web.added.map((c) => [c.producerId, c.participantId, c.rtpParameters.codecs[0]!.mimeType]).sort()).toEqual(
      [
        [mic1, 'phone-opus', 'audio/opus'],
        [mic2, 'phone-pcmu', 'audio/PCMU'],
      ].sort(),
    );
    // …but an RTP leg never gets another participant's audio directly: only its own mix (none yet).
    expect(opusLeg.rtpConsumerInfos()).toEqual([]);

    // Bad input is refused with clear codes.
    await expect(opusLeg.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: true })).rejects.toMatchObject({ code: 'media_transport_exists' });
    await expect(opusLeg.produce({ transportId: t1.id, kind: 'video', source: 'camera', rtpParameters: h264Parameters(ssrc()) })).rejects.toMatchObject({
      code: 'media_wrong_transport_direction',
    });
    await expect(
      pcmuLeg.produce({ transportId: t2.id, kind: 'audio', source: 'screen-audio', rtpParameters: { ...audioParameters(pcmuCap, 1), encodings: [{}] } }),
    ).rejects.toMatchObject({ code: 'media_invalid_parameters', message: expect.stringMatching(/SSRC/) });
    const t3 = await pcmuLeg.createRtpTransport({ role: 'video', comedia: false, rtcpMux: true });
    await expect(pcmuLeg.connectRtpTransport(t3.id, {})).rejects.toMatchObject({ code: 'media_invalid_parameters' });
    await expect(pcmuLeg.produce({ transportId: t3.id, kind: 'video', source: 'camera', rtpParameters: h264Parameters(ssrc()) })).rejects.toMatchObject({
      code: 'media_source_not_allowed',
    });
    await expect(rtpLeg(room, 'phone-opus', 'audio-only', phoneCaps())).rejects.toMatchObject({ code: 'media_participant_exists' });
  });

  it('by default a room has no level observer: a speaking caller still becomes the active speaker, and no audioLevel event is emitted', async () => {
    const room = await openRoom('no-levels');
    const leg = await rtpLeg(room, 'phone', 'audio-only', phoneCaps(opusCap));
    const t = await leg.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: true });
    const levels: number[] = [];
    leg.events.on('audioLevel', (_p, dBov) => levels.push(dBov));
    const speaker = room.events.waitFor('activeSpeaker', 15_000);
    const mic = ssrc();
    await leg.produce({ transportId: t.id, kind: 'audio', source: 'mic', rtpParameters: audioParameters(opusCap, mic, true) });
    (await peer()).stream(t.port, { payloadType: OPUS_PT, ssrc: mic, timestampStep: 960, audioLevel: { extensionId: AUDIO_LEVEL_EXT, dBov: -20 } });
    expect(await speaker).toEqual(['phone']);
    expect(room.activeSpeaker).toBe('phone');
    // With an observer (the test above, 500 ms) a level would have come within a second of speech.
    await new Promise((r) => setTimeout(r, 1500));
    expect(levels).toEqual([]);
  });

  it('the audio tap receives every audio producer as it appears, and a published mix reaches only its leg at its RTP address', async () => {
    const room = await openRoom('tap');
    const web = await browser(room, 'web');
    const a = await rtpLeg(room, 'a', 'audio-only', phoneCaps());
    const ta = await a.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: true });
    const ssrcA = ssrc();
    const micA = await a.produce({ transportId: ta.id, kind: 'audio', source: 'mic', rtpParameters: audioParameters(opusCap, ssrcA) });

    // A tap opened after A's mic still gets it; later producers are reported as they appear.
    const tap = await room.openAudioTap({ comedia: true, rtcpMux: true });
    await expect(room.openAudioTap({ comedia: true, rtcpMux: true })).rejects.toMatchObject({ code: 'media_tap_exists' });
    const tappedA = await until(() => tap.tapped().find((t) => t.producerId === micA), 'A tapped');
    expect(tappedA).toMatchObject({ participantId: 'a', source: 'mic', paused: false });

    // B: a phone whose SDP gives its address (no comedia), RTCP on a separate port.
    const bRtp = await peer();
    const bRtcp = await peer();
    const b = await rtpLeg(room, 'b', 'audio-only', phoneCaps());
    const tb = await b.createRtpTransport({ role: 'audio', comedia: false, rtcpMux: false });
    await b.connectRtpTransport(tb.id, { ip: '127.0.0.1', port: bRtp.port, rtcpPort: bRtcp.port });
    const tappedB = tap.events.waitFor('producerTapped', 10_000);
    const micB = await b.produce({ transportId: tb.id, kind: 'audio', source: 'mic', rtpParameters: audioParameters(opusCap, ssrc()) });
    expect((await tappedB)[0]).toMatchObject({ producerId: micB, participantId: 'b' });

    // The mixer: receives A's packets (demultiplexed by the tap consumer's SSRC and payload type)…
    const mixer = await peer();
    const routerOpus = tap.rtpCapabilities.codecs!.find((c) => c.mimeType === 'audio/opus')!;
    const mixSsrc = ssrc();
    const mixId = await tap.publishMix('b', audioParameters(routerOpus, mixSsrc));
    await expect(tap.publishMix('b', audioParameters(routerOpus, ssrc()))).rejects.toMatchObject({ code: 'media_mix_exists' });
    await expect(tap.publishMix('web', audioParameters(routerOpus, ssrc()))).rejects.toMatchObject({ code: 'media_unknown_leg' });
    // …and sends B's mix from the same socket (comedia learns its address from it).
    mixer.stream(tap.transport.port, { payloadType: routerOpus.preferredPayloadType!, ssrc: mixSsrc, timestampStep: 960 });
    (await peer()).stream(ta.port, { payloadType: OPUS_PT, ssrc: ssrcA, timestampStep: 960 });
    const fromA = await mixer.waitFor((p) => p.ssrc === tappedA.rtpParameters.encodings![0]!.ssrc);
    expect(fromA.payloadType).toBe(tappedA.rtpParameters.codecs[0]!.payloadType);

    // B receives its mix — only its mix — on its own address, with its consumer's SSRC and payload type
    // (the room's payload type for the codec: mediasoup does not renumber; the gateway's SDP says so).
    const [mixConsumer] = await until(() => (b.rtpConsumerInfos().length ? b.rtpConsumerInfos() : undefined), 'B consumes its mix');
    expect(b.rtpConsumerInfos()).toHaveLength(1);
    expect(mixConsumer).toMatchObject({ producerId: mixId, transportId: tb.id, role: 'audio' });
    const atB = await bRtp.waitFor((p) => p.ssrc === mixConsumer!.rtpParameters.encodings![0]!.ssrc);
    expect(atB.payloadType).toBe(mixConsumer!.rtpParameters.codecs[0]!.payloadType);
    expect(mixConsumer!.rtpParameters.codecs[0]).toMatchObject({ mimeType: 'audio/opus', payloadType: routerOpus.preferredPayloadType });
    // Without rtcp-mux, RTCP (the consumer's sender reports) goes to B's RTCP port, none to its RTP port.
    await until(() => bRtcp.rtcpPackets > 0, 'RTCP on the separate port');
    expect(bRtp.rtcpPackets).toBe(0);
    expect(a.rtpConsumerInfos()).toEqual([]);
    expect(web.media.consumerInfos().map((c) => c.producerId).sort()).toEqual([micA, micB].sort());

    // A leaves: the tap is told; B leaves: its mix is withdrawn with it.
    const untapped = tap.events.waitFor('producerUntapped', 5000);
    a.close();
    expect(await untapped).toEqual([micA, 'a']);
    expect(a.closedWith).toEqual(['closed']);
    const untappedB = tap.events.waitFor('producerUntapped', 5000);
    b.close();
    expect(await untappedB).toEqual([micB, 'b']);
    expect(tap.tapped()).toEqual([]);
    await expect(tap.publishMix('b', audioParameters(routerOpus, ssrc()))).rejects.toMatchObject({ code: 'media_unknown_leg' });

    const tapClosed = tap.events.waitFor('closed', 5000);
    tap.close();
    expect(await tapClosed).toEqual(['closed']);
    // The room takes a new tap once the old one is gone.
    const again = await room.openAudioTap({ comedia: false, rtcpMux: false });
    expect(again.transport.rtcpPort).toEqual(expect.any(Number));
  });

  it('a tap opened with tapRtpLegs: false (the gateway mixer, which has its callers’ audio already) taps browsers’ mics and no RTP leg’s', async () => {
    const room = await openRoom('tap-no-legs');
    const web = await browser(room, 'web');
    const a = await rtpLeg(room, 'a', 'audio-only', phoneCaps());
    const ta = await a.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: true });
    const micA = await a.produce({ transportId: ta.id, kind: 'audio', source: 'mic', rtpParameters: audioParameters(opusCap, ssrc()) });
    const tap = await room.openAudioTap({ comedia: true, rtcpMux: true, tapRtpLegs: false });
    // A browser's mic (produced after the tap opened) is tapped…
    const send = await web.media.createTransport('send');
    const tapped = tap.events.waitFor('producerTapped', 10_000);
    const webMic = await web.media.produce({ transportId: send.id, kind: 'audio', source: 'mic', rtpParameters: opusParameters(room.rtpCapabilities) });
    expect((await tapped)[0]).toMatchObject({ producerId: webMic, participantId: 'web' });
    // …an RTP leg's mic, before or after the tap opened, is not — though browsers still get it.
    const b = await rtpLeg(room, 'b', 'audio-only', phoneCaps());
    const tb = await b.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: true });
    const micB = await b.produce({ transportId: tb.id, kind: 'audio', source: 'mic', rtpParameters: audioParameters(opusCap, ssrc()) });
    await until(() => (web.media.consumerInfos().some((c) => c.producerId === micB) ? true : undefined), 'the browser consumes B');
    expect(tap.tapped().map((t) => t.producerId)).toEqual([webMic]);
    expect(web.media.consumerInfos().map((c) => c.producerId)).toEqual(expect.arrayContaining([micA, micB]));
    tap.close();
  });

  it('mute, unmute and close of an RTP leg’s producer reach the leg, the tap and the browsers', async () => {
    const room = await openRoom('rtp-mute');
    const web = await browser(room, 'web');
    const tap = await room.openAudioTap({ comedia: true, rtcpMux: true });
    const leg = await rtpLeg(room, 'sip', 'audio-only', phoneCaps());
    const t = await leg.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: true });
    const mic = await leg.produce({ transportId: t.id, kind: 'audio', source: 'mic', rtpParameters: audioParameters(opusCap, ssrc()) });
    await until(() => tap.tapped().length === 1 && web.added.length === 1, 'tap and browser consume the mic');
    const consumerId = web.added[0]!.id;

    const paused = leg.events.waitFor('producerPaused', 5000);
    const tapPaused = tap.events.waitFor('producerPaused', 5000);
    const webPaused = web.media.events.waitFor('consumerPaused', 5000);
    await leg.pauseProducer(mic, true); // a host mutes the caller
    expect(await paused).toEqual([mic, true]);
    expect(await tapPaused).toEqual([mic]);
    expect(await webPaused).toEqual([consumerId]);
    expect(leg.producers()[0]!.paused).toBe(true);
    expect(tap.tapped()[0]!.paused).toBe(true);

    const resumed = leg.events.waitFor('producerResumed', 5000);
    const tapResumed = tap.events.waitFor('producerResumed', 5000);
    await leg.resumeProducer(mic, true);
    expect(await resumed).toEqual([mic, true]);
    expect(await tapResumed).toEqual([mic]);

    const closed = leg.events.waitFor('producerClosed', 5000);
    const untapped = tap.events.waitFor('producerUntapped', 5000);
    const webClosed = web.media.events.waitFor('consumerClosed', 5000);
    leg.closeProducer(mic, true);
    expect(await closed).toEqual([mic, true]);
    expect(await untapped).toEqual([mic, 'sip']);
    expect(await webClosed).toEqual([consumerId]);
    expect(leg.producers()).toEqual([]);
  });

  it('a room system in video mode gets one switched camera and the presentation on their own transports, delivered as RTP', async () => {
    const room = await openRoom('rtp-video');
    const roomSystem = await rtpLeg(room, 'room-system', 'video', phoneCaps(opusCap, h264Cap));
    const videoIn = await peer();
    const presIn = await peer();
    await roomSystem.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: true });
    const tv = await roomSystem.createRtpTransport({ role: 'video', comedia: false, rtcpMux: true });
    await roomSystem.connectRtpTransport(tv.id, { ip: '127.0.0.1', port: videoIn.port });
    const tp = await roomSystem.createRtpTransport({ role: 'presentation', comedia: false, rtcpMux: true });
    await roomSystem.connectRtpTransport(tp.id, { ip: '127.0.0.1', port: presIn.port });

    const senders: { leg: RtpLeg; port: number; ssrc: number; producerId: string }[] = [];
    for (const id of ['cam1', 'cam2']) {
      const leg = await rtpLeg(room, id, 'video', phoneCaps(opusCap, h264Cap));
      const t = await leg.createRtpTransport({ role: 'video', comedia: true, rtcpMux: true });
      const s = ssrc();
      senders.push({ leg, port: t.port, ssrc: s, producerId: await leg.produce({ transportId: t.id, kind: 'video', source: 'camera', rtpParameters: h264Parameters(s) }) });
    }
    const presenter = await rtpLeg(room, 'presenter', 'video', phoneCaps(opusCap, h264Cap));
    const tpp = await presenter.createRtpTransport({ role: 'presentation', comedia: true, rtcpMux: true });
    const presSsrc = ssrc();
    const screen = await presenter.produce({ transportId: tpp.id, kind: 'video', source: 'screen', rtpParameters: h264Parameters(presSsrc) });

    // One camera (nobody has spoken: the earliest joiner) and the presentation; no individual audio.
    const infos = await until(() => (roomSystem.rtpConsumerInfos().length === 2 ? roomSystem.rtpConsumerInfos() : undefined), 'room system consumers');
    const cam = infos.find((c) => c.role === 'video')!;
    const pres = infos.find((c) => c.role === 'presentation')!;
    expect(cam).toMatchObject({ producerId: senders[0]!.producerId, transportId: tv.id, participantId: 'cam1' });
    expect(pres).toMatchObject({ producerId: screen, transportId: tp.id, participantId: 'presenter' });

    for (const s of senders) (await peer()).stream(s.port, { payloadType: H264_PT, ssrc: s.ssrc, timestampStep: 3000, intervalMs: 33, payload: h264Nal });
    (await peer()).stream(tpp.port, { payloadType: H264_PT, ssrc: presSsrc, timestampStep: 3000, intervalMs: 33, payload: h264Nal });
    const camPacket = await videoIn.waitFor((p) => p.ssrc === cam.rtpParameters.encodings![0]!.ssrc);
    expect(camPacket.payloadType).toBe(cam.rtpParameters.codecs[0]!.payloadType);
    expect(cam.rtpParameters.codecs[0]!.mimeType).toBe('video/H264');
    expect(await presIn.waitFor((p) => p.ssrc === pres.rtpParameters.encodings![0]!.ssrc)).toMatchObject({ payloadType: pres.rtpParameters.codecs[0]!.payloadType });

    // The switched camera leaves: the next camera takes its place on the same transport.
    const swapped = roomSystem.events.waitFor('consumerClosed', 5000);
    senders[0]!.leg.close();
    expect(await swapped).toEqual([cam.id]);
    const next = await until(() => roomSystem.rtpConsumerInfos().find((c) => c.role === 'video'), 'next camera');
    expect(next).toMatchObject({ producerId: senders[1]!.producerId, transportId: tv.id });
    await videoIn.waitFor((p) => p.ssrc === next.rtpParameters.encodings![0]!.ssrc);
  });

  it("the gateway's engine-facing leg (video mode, Opus-only capabilities) sends a camera and a screen that browsers and the video tap get, and receives no video", async () => {
    const room = await openRoom('rtp-video-engine');
    const web = await browser(room, 'web');
    const tap = await room.openVideoTap({ comedia: false, rtcpMux: true });
    const tapSources: string[] = [];
    tap.events.on('sourceAdded', (s) => tapSources.push(`${s.participantId}:${s.source}:${s.mimeType}`));
    // Others' video is in the room: another room system's camera and a screen.
    const other = await rtpLeg(room, 'other', 'video', phoneCaps(opusCap, h264Cap));
    const to = await other.createRtpTransport({ role: 'video', comedia: true, rtcpMux: true });
    await other.produce({ transportId: to.id, kind: 'video', source: 'camera', rtpParameters: h264Parameters(ssrc()) });
    const top = await other.createRtpTransport({ role: 'presentation', comedia: true, rtcpMux: true });
    await other.produce({ transportId: top.id, kind: 'video', source: 'screen', rtpParameters: h264Parameters(ssrc()) });

    // What the gateway's call layer builds: the engine decodes only Opus; video goes out through the tap.
    const engineLeg = await rtpLeg(room, 'sip-caller', 'video', phoneCaps(opusCap));
    const tv = await engineLeg.createRtpTransport({ role: 'video', comedia: true, rtcpMux: true });
    const tp = await engineLeg.createRtpTransport({ role: 'presentation', comedia: true, rtcpMux: true });
    const camSsrc = ssrc();
    const screenSsrc = ssrc();
    const camera = await engineLeg.produce({ transportId: tv.id, kind: 'video', source: 'camera', rtpParameters: h264Parameters(camSsrc) });
    const screen = await engineLeg.produce({ transportId: tp.id, kind: 'video', source: 'screen', rtpParameters: h264Parameters(screenSsrc) });
    (await peer()).stream(tv.port, { payloadType: H264_PT, ssrc: camSsrc, timestampStep: 3000, intervalMs: 33, maxPackets: 300, payload: h264Nal });
    (await peer()).stream(tp.port, { payloadType: H264_PT, ssrc: screenSsrc, timestampStep: 3000, intervalMs: 33, maxPackets: 300, payload: h264Nal });

    // The browser consumes both (H.264, as the room's codec), the tap offers both.
    await until(() => [camera, screen].every((id) => web.added.some((c) => c.producerId === id)), 'the browser consuming the leg’s camera and screen');
    expect(web.added.find((c) => c.producerId === camera)?.rtpParameters.codecs[0]?.mimeType).toBe('video/H264');
    expect(tapSources).toEqual(expect.arrayContaining(['sip-caller:camera:video/H264', 'sip-caller:screen:video/H264']));
    await until(async () => (await engineLeg.transportStats()).filter((t) => t.rtpBytesReceived > 0).length === 2, 'RTP on both video transports');
    expect(engineLeg.producers().map((p) => p.source).sort()).toEqual(['camera', 'screen']);

    // …while the leg itself gets nothing: no camera, no screen (the engine fans out from the tap), no one's audio.
    await engineLeg.settled();
    await new Promise((r) => setTimeout(r, 300));
    expect(engineLeg.rtpConsumerInfos()).toEqual([]);
    expect(engineLeg.consumerCount).toBe(0);
  });

  it.each([false, true])('SDES-SRTP (learnSsrc %s): the transport hands out its key, needs the remote key, decrypts real SRTP, and drops plain RTP', async (learnSsrc) => {
    const room = await openRoom('srtp');
    const suite = 'AES_CM_128_HMAC_SHA1_80' as const;
    const leg = await rtpLeg(room, 'secure', 'audio-only', phoneCaps());
    const t = await leg.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: true, srtpCryptoSuite: suite, learnSsrc });
    expect(t.srtpParameters?.cryptoSuite).toBe(suite);
    expect(Buffer.from(t.srtpParameters!.keyBase64, 'base64')).toHaveLength(30); // 128-bit key + 112-bit salt
    await expect(leg.connectRtpTransport(t.id, {})).rejects.toMatchObject({ code: 'media_invalid_parameters' });

    // The far end: an SRTP sender (a second, independent mediasoup router stands in for a room
    // system's SRTP stack) fed with plain RTP from a UDP socket.
    const remoteRouter = (await rooms.pool.createRouter({ mediaCodecs: meetingMediaCodecs })).router;
    try {
      const plainIn = await remoteRouter.createPlainTransport({ listenIp: '127.0.0.1', comedia: true, rtcpMux: true });
      const inSsrc = ssrc();
      const routerOpus = remoteRouter.rtpCapabilities.codecs!.find((c) => c.mimeType === 'audio/opus')!;
      const source = await plainIn.produce({ kind: 'audio', rtpParameters: audioParameters(routerOpus, inSsrc) });
      const srtpOut = await remoteRouter.createPlainTransport({ listenIp: '127.0.0.1', comedia: false, rtcpMux: true, enableSrtp: true, srtpCryptoSuite: suite });
      await srtpOut.connect({ ip: t.ip, port: t.port, srtpParameters: t.srtpParameters! });
      const out = await srtpOut.consume({ producerId: source.id, rtpCapabilities: phoneCaps() });
      const outSsrc = out.rtpParameters.encodings![0]!.ssrc!;
      const outCodec = { ...opusCap, preferredPayloadType: out.rtpParameters.codecs[0]!.payloadType };

      await leg.connectRtpTransport(t.id, { srtpParameters: srtpOut.srtpParameters! });
      const scored = leg.events.waitFor('producerScore', 15_000);
      (await peer()).stream(plainIn.tuple.localPort, { payloadType: routerOpus.preferredPayloadType!, ssrc: inSsrc, timestampStep: 960 });
      const params = audioParameters(outCodec, outSsrc);
      const mic = await leg.produce({ transportId: t.id, kind: 'audio', source: 'mic', rtpParameters: learnSsrc ? { ...params, encodings: [{}] } : params });
      expect((await scored)[0]).toBe(mic);
      await until(async () => (await leg.transportStats())[0]!.rtpBytesReceived > 0, 'decrypted RTP');
    } finally {
      remoteRouter.close();
    }

    // Plain RTP sent to an SRTP transport is dropped, while the same stream into a plain transport counts.
    const strict = await rtpLeg(room, 'strict', 'audio-only', phoneCaps());
    const ts = await strict.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: true, srtpCryptoSuite: suite, learnSsrc });
    await strict.connectRtpTransport(ts.id, { srtpParameters: t.srtpParameters! });
    const lax = await rtpLeg(room, 'lax', 'audio-only', phoneCaps());
    const tl = await lax.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: true });
    const sameSsrc = ssrc();
    await strict.produce({ transportId: ts.id, kind: 'audio', source: 'mic', rtpParameters: audioParameters(opusCap, sameSsrc) });
    await lax.produce({ transportId: tl.id, kind: 'audio', source: 'mic', rtpParameters: audioParameters(opusCap, sameSsrc) });
    const sender = await peer();
    const stopStrict = sender.stream(ts.port, { payloadType: OPUS_PT, ssrc: sameSsrc, timestampStep: 960, maxPackets: 25 });
    const stopLax = sender.stream(tl.port, { payloadType: OPUS_PT, ssrc: sameSsrc, timestampStep: 960, maxPackets: 25 });
    await until(async () => (await lax.transportStats())[0]!.rtpBytesReceived >= 20 * 72, 'the plain transport counted the stream');
    stopStrict();
    stopLax();
    expect((await strict.transportStats())[0]!.rtpBytesReceived).toBe(0);
    expect(strict.producers()[0]!.score).toBe(0);
  });

  it('closing the tap withdraws every mix: the legs are told their mix consumer closed, and keep working', async () => {
    const room = await openRoom('tap-close');
    const tap = await room.openAudioTap({ comedia: true, rtcpMux: true });
    const routerOpus = tap.rtpCapabilities.codecs!.find((c) => c.mimeType === 'audio/opus')!;
    const legs = await Promise.all(['x', 'y'].map((id) => rtpLeg(room, id, 'audio-only', phoneCaps())));
    for (const leg of legs) {
      await leg.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: true });
      await tap.publishMix(leg.id, audioParameters(routerOpus, ssrc()));
    }
    const mixConsumers = await Promise.all(legs.map((leg) => until(() => leg.rtpConsumerInfos()[0], `${leg.id} consumes its mix`)));
    const gone = legs.map((leg) => leg.events.waitFor('consumerClosed', 5000));
    tap.close();
    expect(await Promise.all(gone)).toEqual(mixConsumers.map((c) => [c.id]));
    for (const leg of legs) expect(leg.rtpConsumerInfos()).toEqual([]);
    expect(legs.map((l) => l.closed)).toEqual([false, false]);
    // A new tap (the mixer restarted) serves the same legs again.
    const tap2 = await room.openAudioTap({ comedia: true, rtcpMux: true });
    await tap2.publishMix('x', audioParameters(routerOpus, ssrc()));
    await until(() => legs[0]!.rtpConsumerInfos()[0], 'x consumes the new mix');
  });

  it('a caller whose SDP has no a=ssrc (learnSsrc): produce learns its SSRC from the first packet, and its mix comes back through the relay', async () => {
    const room = await openRoom('learn-ssrc', { rtpSsrcLearnTimeoutMs: 300, rtpRelayMinPort: 39000, rtpRelayMaxPort: 39099 });
    const web = await browser(room, 'web');
    const tap = await room.openAudioTap({ comedia: true, rtcpMux: true });
    const leg = await rtpLeg(room, 'sip', 'audio-only', phoneCaps(pcmuCap));
    const t = await leg.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: true, learnSsrc: true });
    expect(t.port).toBeGreaterThanOrEqual(39000);
    expect(t.port).toBeLessThanOrEqual(39099);
    const caller = await peer();
    const callerSsrc = ssrc();
    caller.stream(t.port, { payloadType: 0, ssrc: callerSsrc, timestampStep: 160, payload: () => Buffer.alloc(160, 0xff) });
    const scored = leg.events.waitFor('producerScore', 15_000);
    const mic = await leg.produce({ transportId: t.id, kind: 'audio', source: 'mic', rtpParameters: { ...audioParameters(pcmuCap, 1), encodings: [{}] } });
    expect((await scored)[0]).toBe(mic);
    expect((await until(() => tap.tapped()[0], 'tapped')).producerId).toBe(mic);
    await until(() => web.added.some((c) => c.producerId === mic), 'the browser consumes the caller');
    expect(await leg.transportStats()).toEqual([expect.objectContaining({ remoteIp: '127.0.0.1', remotePort: caller.port })]);

    // The way back: the mixer's mix for this caller arrives at the caller's socket through the relay.
    const routerPcmu = tap.rtpCapabilities.codecs!.find((c) => c.mimeType === 'audio/PCMU')!;
    const mixSsrc = ssrc();
    await tap.publishMix('sip', audioParameters(routerPcmu, mixSsrc));
    (await peer()).stream(tap.transport.port, { payloadType: 0, ssrc: mixSsrc, timestampStep: 160, payload: () => Buffer.alloc(160, 0xff) });
    const mixConsumer = await until(() => leg.rtpConsumerInfos()[0], 'the caller consumes its mix');
    expect(await caller.waitFor((p) => p.ssrc === mixConsumer.rtpParameters.encodings![0]!.ssrc)).toMatchObject({ payloadType: 0 });

    // A caller that never sends: produce gives up with media_no_rtp.
    const silent = await rtpLeg(room, 'silent', 'audio-only', phoneCaps(pcmuCap));
    const ts = await silent.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: true, learnSsrc: true });
    await expect(silent.produce({ transportId: ts.id, kind: 'audio', source: 'mic', rtpParameters: { ...audioParameters(pcmuCap, 1), encodings: [{}] } })).rejects.toMatchObject({
      code: 'media_no_rtp',
    });
    silent.close();
    leg.close();
    expect(leg.closedWith).toEqual(['closed']);
  });

  it('one tap per room, one mix per leg, one transport per m-line: 100 concurrent attempts each, exactly one wins', async () => {
    const room = await openRoom('races');
    const leg = await rtpLeg(room, 'racer', 'audio-only', phoneCaps());
    const N = 100;
    async function race<T>(attempt: () => Promise<T>, code: string): Promise<T> {
      const results = await Promise.allSettled(Array.from({ length: N }, attempt));
      const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const codes = new Set(results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code?: string }).code] : [])));
      expect(won).toHaveLength(1);
      expect(codes).toEqual(new Set([code]));
      return won[0]!;
    }
    await race(() => leg.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: true }), 'media_transport_exists');
    const tap = await race(() => room.openAudioTap({ comedia: true, rtcpMux: true }), 'media_tap_exists');
    const routerOpus = tap.rtpCapabilities.codecs!.find((c) => c.mimeType === 'audio/opus')!;
    const mixId = await race(() => tap.publishMix('racer', audioParameters(routerOpus, ssrc())), 'media_mix_exists');
    // The one mix is the one the leg receives.
    expect((await until(() => leg.rtpConsumerInfos()[0], 'the mix consumer')).producerId).toBe(mixId);
  });

  it('room close cascades to RTP legs and the tap: each closes with room_closed, nothing else is emitted', async () => {
    const service = rooms.openService();
    const room = await service.openRoom('rtp-cascade');
    const tap = await room.openAudioTap({ comedia: true, rtcpMux: true });
    const a = await rtpLeg(room, 'a', 'audio-only', phoneCaps());
    const t = await a.createRtpTransport({ role: 'audio', comedia: true, rtcpMux: true });
    await a.produce({ transportId: t.id, kind: 'audio', source: 'mic', rtpParameters: audioParameters(opusCap, ssrc()) });
    await until(() => tap.tapped().length === 1, 'tapped');
    const noise: string[] = [];
    tap.events.on('producerUntapped', () => noise.push('untapped'));
    a.events.on('producerClosed', () => noise.push('producerClosed'));
    const tapClosed = tap.events.waitFor('closed', 5000);
    room.close();
    expect(await tapClosed).toEqual(['room_closed']);
    expect(a.closedWith).toEqual(['room_closed']);
    expect(noise).toEqual([]);
    expect(tap.closed).toBe(true);
    await expect(a.createRtpTransport({ role: 'video', comedia: true, rtcpMux: true })).rejects.toMatchObject({ code: 'media_participant_closed' });
    await expect(room.addRtpLeg('b', { mode: 'audio-only', maxIncomingBitrateBps: 0, maxOutgoingBitrateBps: 0, rtpCapabilities: phoneCaps() })).rejects.toMatchObject({
      code: 'media_room_closed',
    });
    await expect(room.openAudioTap({ comedia: true, rtcpMux: true })).rejects.toMatchObject({ code: 'media_room_closed' });
  });
});
