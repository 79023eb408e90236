import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sdpTransform from 'sdp-transform';
import type { Browser, Page } from 'playwright-core';
import { encoderArgs, startFfmpeg } from '../../sip-gateway/src/media/video/testing/ffmpeg-rtp.js';
import { joinWithForm, launchChromium } from '../../test/support/browser.js';
import { eventually } from '../../test/support/convene-process.js';
import { scriptedDialogRequests, sendG711Silence } from '../../test/support/scripted-sip-ua.js';
import { createCompany, createRoom, startServiceFixture, type ServiceFixture } from '../../test/support/service-fixture.js';
import { buildWebApp } from '../build.mjs';

/**
 * A room system's content (RFC 4796 `a=content:slides`, no BFCP) becomes the meeting's presentation.
 * baresip has one video line, so the room system here is a small SIP UA of the test's own (UDP
 * INVITE/ACK/BYE, G.711 silence on its audio line) whose slides line is fed by Debian's ffmpeg
 * (libx264 → H.264 RTP, packetization-mode 1). While content flows, the browser's presentation view
 * shows it (presenter = the room system); when it stops, the presentation ends. A browser sharing
 * its screen takes over, as between browsers.
 */
let f: ServiceFixture;
let browser: Browser;
const children: ChildProcess[] = [];
const sockets: dgram.Socket[] = [];
const timers: NodeJS.Timeout[] = [];

beforeAll(async () => {
  await buildWebApp();
  f = await startServiceFixture();
  browser = await launchChromium({ args: ['--auto-select-desktop-capture-source=Entire screen', '--autoplay-policy=no-user-gesture-required'] });
}, 120_000);

afterAll(async () => {
  for (const t of timers) clearInterval(t);
  for (const c of children) c.kill('SIGKILL');
  for (const s of sockets) s.close();
  await browser?.close();
  await f?.stop();
});

async function udp(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s;
}

/** A room system UA: INVITE with audio + main + slides video, then ACK; BYE on hang-up. */
async function callWithSlides(target: { user: string; port: number }): Promise<{
  answer: sdpTransform.SessionDescription;
  /** INFO requests we received (keyframe requests by picture_fast_update). */
  infos: string[];
  info(contentType: string, body: string): Promise<string>;
  reinvite(direction: string): Promise<sdpTransform.SessionDescription>;
  hangup(): Promise<void>;
}> {
  const [sip, audio, main, slides] = await Promise.all([udp(), udp(), udp(), udp()]);
  const { request } = scriptedDialogRequests({ user: target.user, port: target.port, name: 'content-room', displayName: 'Content Room', sipPort: sip.address().port });
  const makeOffer = (version: number, direction: string) => {
    // No a=rtcp-fb: like older room systems, it takes keyframe requests by SIP INFO only (RFC 5168).
    const h264 = ['a=rtpmap:96 H264/90000', 'a=fmtp:96 profile-level-id=42e01f;packetization-mode=1', 'a=rtcp-mux', `a=${direction}`];
    return ['v=0', `o=- 1 ${version} IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=audio ${audio.address().port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', `a=${direction}`,
      `m=video ${main.address().port} RTP/AVP 96`, ...h264, 'a=content:main',
      `m=video ${slides.address().port} RTP/AVP 96`, ...h264, 'a=content:slides', ''].join('\r\n');
  };
  const offer = makeOffer(1, 'sendrecv');
  const send = (text: string) => sip.send(text, target.port, '127.0.0.1');
  const finals = new Map<number, (text: string) => void>();
  const infos: string[] = [];
  const answerText = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no 200 OK to our INVITE')), 20_000);
    sip.on('message', (msg) => {
      const text = msg.toString('utf8');
      const cseq = /CSeq: (\d+) INVITE/i.exec(text);
      if (/^SIP\/2\.0 200/.test(text) && cseq && Number(cseq[1]) > 1) finals.get(Number(cseq[1]))?.(text);
      if (/^SIP\/2\.0 200/.test(text) && /CSeq: 1 INVITE/i.test(text)) {
        clearTimeout(timer);
        resolve(text);
      } else if (/^SIP\/2\.0 [3-6]\d\d/.test(text)) reject(new Error(text.split('\r\n')[0]));
      else if (/^(INFO|BYE|INVITE|UPDATE) /.test(text)) {
        if (text.startsWith('INFO ')) infos.push(text);
        // Answer in-dialog requests (keyframe INFOs) with 200 so the dialog stays up.
        const hdr = (n: string) => text.split('\r\n').filter((l) => l.toLowerCase().startsWith(`${n}:`));
        sip.send(['SIP/2.0 200 OK', ...hdr('via'), ...hdr('from'), ...hdr('to'), ...hdr('call-id'), ...hdr('cseq'), 'Content-Length: 0', '', ''].join('\r\n'), target.port, '127.0.0.1');
      }
    });
    send(request('INVITE', 1, null, offer));
  });
  const toTag = /^To:.*;tag=([^;\s]+)/im.exec(answerText)![1]!;
  send(request('ACK', 1, toTag));
  const answer = sdpTransform.parse(answerText.slice(answerText.indexOf('\r\n\r\n') + 4));
  // G.711 silence from the audio socket (symmetric RTP), so the call is not ended for lack of media.
  const ourAudio = answer.media[0]!.port;
  const audioTimer = sendG711Silence(audio, ourAudio);
  timers.push(audioTimer);
  let cseq = 1;
  return {
    answer,
    infos,
    async info(contentType: string, body: string) {
      cseq++;
      const got = new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no final response to our INFO')), 10_000);
        const onMessage = (msg: Buffer) => {
          const text = msg.toString('utf8');
          if (text.startsWith('SIP/2.0') && new RegExp(`CSeq: ${cseq} INFO`, 'i').test(text) && !/^SIP\/2\.0 1/.test(text)) {
            clearTimeout(t);
            sip.off('message', onMessage);
            resolve(text.split('\r\n')[0]!);
          }
        };
        sip.on('message', onMessage);
      });
      send(request('INFO', cseq, toTag, body, contentType));
      return got;
    },
    async reinvite(direction: string) {
      cseq++;
      const got = new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no 200 OK to our re-INVITE')), 10_000);
        finals.set(cseq, (text) => {
          clearTimeout(t);
          resolve(text);
        });
      });
      send(request('INVITE', cseq, toTag, makeOffer(cseq, direction)));
      const text = await got;
      send(request('ACK', cseq, toTag));
      return sdpTransform.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
    },
    async hangup() {
      clearInterval(audioTimer);
      send(request('BYE', ++cseq, toTag));
      await new Promise((r) => setTimeout(r, 300));
    },
  };
}

const presentation = (page: Page) =>
  page.evaluate(() => {
    const view = document.querySelector('[data-testid="presentation-view"]');
    return { presenterId: window.convene.state.presenterId, hasVideo: view?.getAttribute('data-has-video') ?? null };
  });

describe('a room system’s content as the meeting’s presentation', () => {
  it('shows in the browser’s presentation view while it flows, ends when it stops; a browser takes over; hold and resume apply to video', async () => {
    const companyId = await createCompany(f);
    const room = await createRoom(f, companyId);
    const sipPort = f.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port;
    const { page, context, errors } = await joinWithForm(browser, `${f.httpUrl}/`, { address: room.address, name: 'Viewer Vic', mode: 'video' });

    const call = await callWithSlides({ user: room.address.split('@')[0]!, port: sipPort });
    // Both video lines accepted: main, and slides with a=content:slides echoed.
    const videoLines = call.answer.media.filter((m) => m.type === 'video');
    expect(videoLines.map((m) => m.port > 0)).toEqual([true, true]);
    expect((videoLines[1] as { content?: string }).content ?? null).toBe('slides');
    let live: ReturnType<ServiceFixture['service']['calls']['list']>[number] | undefined;
    await eventually(() => {
      live = f.service.calls.list().find((c) => c.state === 'in_meeting');
      return live !== undefined;
    }, 20_000);
    expect(live!.video!.roles).toEqual(['main', 'slides']);
    const roomSystemId = live!.participantId!;

    // Content starts: H.264 from ffmpeg to our slides port, in the payload type our answer gave.
    const slidesPort = videoLines[1]!.port;
    const pt = videoLines[1]!.rtp[0]!.payload;
    // Like a real codec, the content comes from one local port and SSRC each time (the engine latched to them).
    const probe = await udp();
    const fromPort = probe.address().port;
    probe.close();
    sockets.splice(sockets.indexOf(probe), 1);
    const contentArgs = (seconds: number) => {
      const args = encoderArgs({ codec: 'h264', source: 'testsrc', port: slidesPort, seconds, payloadType: pt, ssrc: 0x5eed51de });
      args[args.length - 1] += `&localrtpport=${fromPort}`;
      return args;
    };
    const content = startFfmpeg(contentArgs(15), 25_000, children);
    await expect.poll(() => presentation(page), { timeout: 20_000 }).toEqual({ presenterId: roomSystemId, hasVideo: 'true' });
    // Having negotiated neither PLI nor FIR, it was asked for its keyframes by SIP INFO picture_fast_update.
    expect(call.infos.length).toBeGreaterThan(0);
    expect(call.infos[0]).toMatch(/Content-Type: application\/media_control\+xml/i);
    expect(call.infos[0]).toMatch(/<to_encoder>\s*<picture_fast_update\/>/);
    // And its own picture_fast_update (for what it receives) is taken, a broken body refused.
    const pfu = '<?xml version="1.0" encoding="utf-8"?><media_control><vc_primitive><to_encoder><picture_fast_update/></to_encoder></vc_primitive></media_control>';
    expect(await call.info('application/media_control+xml', pfu)).toBe('SIP/2.0 200 OK');
    expect(await call.info('application/media_control+xml', '<media_control><vc_primitive>')).toMatch(/^SIP\/2\.0 400/);
    const metrics = await f.service.registry.metrics();
    expect(metrics).toMatch(/gateway_video_keyframe_requests_total\{direction="to_caller",method="info"\} [1-9]/);
    expect(metrics).toMatch(/gateway_video_keyframe_requests_total\{direction="from_caller",method="info"\} 1/);

    // The content ends: after a few quiet seconds the presentation is over.
    await content.done;
    await expect.poll(async () => (await presentation(page)).presenterId, { timeout: 15_000 }).toBeNull();

    // Content again, then the browser shares its screen: it takes over (one presenter at a time).
    startFfmpeg(contentArgs(30), 40_000, children);
    await expect.poll(async () => (await presentation(page)).presenterId, { timeout: 20_000 }).toBe(roomSystemId);
    const me = await page.evaluate(() => window.convene.state.participantId);
    await page.getByTestId('toggle-screen').click();
    await expect.poll(async () => (await presentation(page)).presenterId, { timeout: 15_000 }).toBe(me);
    // The room system has a slides line: the browser's screen goes there, its main line keeps the camera.
    const videoNow = () => f.service.calls.list().find((c) => c.callId === live!.callId)?.video;
    await expect.poll(() => videoNow()?.showingSlides, { timeout: 15_000 }).toBe(me);
    expect(videoNow()).toMatchObject({ showing: me, showingSource: 'camera' });
    // While its content still flows, the room system does not grab the floor back.
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await presentation(page)).presenterId).toBe(me);

    // Hold by re-INVITE applies to video too: both video lines stay open, inactive, and nothing is sent to the held room system.
    const held = await call.reinvite('inactive');
    const heldVideo = held.media.filter((m) => m.type === 'video');
    expect(heldVideo.map((m) => [m.port > 0, m.direction])).toEqual([[true, 'inactive'], [true, 'inactive']]);
    await new Promise((r) => setTimeout(r, 1_000));
    const heldSent = (await f.service.calls.videoStats(live!.callId))!.packetsSent;
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await f.service.calls.videoStats(live!.callId))!.packetsSent).toBe(heldSent);
    // Resume: video flows to it again.
    const resumed = await call.reinvite('sendrecv');
    expect(resumed.media.filter((m) => m.type === 'video').map((m) => m.direction)).toEqual(['sendrecv', 'sendrecv']);
    await expect.poll(async () => (await f.service.calls.videoStats(live!.callId))!.packetsSent, { timeout: 15_000 }).toBeGreaterThan(heldSent);

    await call.hangup();
    await eventually(() => f.service.calls.size === 0, 10_000);
    expect(errors).toEqual([]);
    await context.close();
  }, 150_000);
});
