// Offers from the real UAs (Debian's sipp and baresip): each dials a UDP socket here, we keep the
// INVITE's SDP, stop the UA, and negotiate that exact text.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { freeUdpTcpPort } from '../../../../test/support/ports.js';
import { freePort, startSipp } from '../../../test/support/sipp.js';
import { buildAnswer, negotiateOffer, newOrigin, type NegotiateContext, type NegotiatedOffer } from './index.js';

const LOCAL = { ip: '127.0.0.1', rtpPort: 20000, rtcpPort: 20001 };

/** Starts a UA that sends an INVITE to `port`; resolves with the INVITE's body, then stops the UA. Bounded to 15 s. */
async function captureOffer(startUa: (port: number) => () => Promise<void> | void): Promise<string> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const stop = startUa(sock.address().port);
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no INVITE within 15 s')), 15_000);
      sock.on('message', (msg) => {
        const text = msg.toString('utf8');
        if (!text.startsWith('INVITE ')) return;
        clearTimeout(timer);
        resolve(text.slice(text.indexOf('\r\n\r\n') + 4));
      });
    });
  } finally {
    await stop();
    sock.close();
  }
}

function baresip(dir: string, account: string, listenPort: number, target: number): () => Promise<void> {
  fs.writeFileSync(
    path.join(dir, 'config'),
    ['poll_method\tepoll', `sip_listen\t127.0.0.1:${listenPort}`, 'sip_trans_def\tudp', 'module_path\t/usr/lib/baresip/modules',
      'module\topus.so', 'module\tg722.so', 'module\tg711.so', 'module\tsrtp.so', 'module_app\taccount.so', 'module_app\tmenu.so',
      'audio_player\tnone', 'audio_source\tnone', 'audio_alert\tnone', ''].join('\n'),
  );
  fs.writeFileSync(path.join(dir, 'accounts'), `${account}\n`);
  const child = spawn('baresip', ['-f', dir, '-t', '20', '-e', `/dial sip:room@127.0.0.1:${target}`], { cwd: dir, stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  // baresip lingers on SIGTERM while its unanswered call times out: a bounded wait, then SIGKILL.
  return async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 1_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
}

/**
 * baresip's offer. Its listen port comes from a free-port probe that a parallel test can take
 * before baresip binds it (baresip then never dials): one more try on a fresh port.
 */
async function baresipOffer(dir: string, account: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const listen = await freeUdpTcpPort();
    try {
      return await captureOffer((port) => baresip(dir, account, listen, port));
    } catch (err) {
      if (attempt === 2 || !/no INVITE/.test((err as Error).message)) throw err;
    }
  }
}

function answerOf(offer: string, ctx: NegotiateContext): { n: NegotiatedOffer; answer: sdpTransform.SessionDescription } {
  const n = negotiateOffer(offer, ctx);
  if (!n.ok) throw new Error(`refused: ${n.warning}\n${offer}`);
  const answer = sdpTransform.parse(buildAnswer({ negotiated: n, local: LOCAL, origin: newOrigin() }));
  expect(answer.media.map((m) => m.type)).toEqual(sdpTransform.parse(offer).media.map((m) => m.type));
  return { n, answer };
}

describe('offers from real UAs', () => {
  it('sipp (built-in uac): PCMU, no telephone-event', async () => {
    const sippPort = await freePort();
    const offer = await captureOffer((port) => {
      const s = startSipp({ scenario: { builtin: 'uac' }, remote: `127.0.0.1:${port}`, localPort: sippPort, calls: 1, timeoutSeconds: 15 });
      return () => s.kill();
    });
    const { n } = answerOf(offer, { transport: 'udp' });
    expect(n.session.codec.name).toBe('PCMU');
    expect(n.session.telephoneEventPayloadType).toBeNull();
    expect(n.session.remote?.rtpPort).toBe(Number(/^m=audio (\d+)/m.exec(offer)?.[1]));
  });

  it('baresip: its first codec (Opus) and telephone-event; plain RTP refused over TLS', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baresip-sdp-'));
    try {
      const offer = await baresipOffer(dir, '<sip:tester@127.0.0.1>;regint=0');
      const { n, answer } = answerOf(offer, { transport: 'udp' });
      expect(n.session.codec).toMatchObject({ name: 'opus', clockRate: 48000, channels: 2 });
      expect(n.session.telephoneEventPayloadType).not.toBeNull();
      expect(answer.media[0]!.rtp.map((r) => r.codec)).toEqual(['opus', 'telephone-event']);
      const tls = negotiateOffer(offer, { transport: 'tls' });
      expect(tls.ok ? 'accepted' : tls.reason).toBe('srtp_required');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('baresip with mandatory SRTP (SDES): RTP/SAVP accepted over TLS, its key taken, ours answered under its tag', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baresip-sdp-'));
    try {
      const offer = await baresipOffer(dir, '<sip:tester@127.0.0.1>;regint=0;mediaenc=srtp-mand');
      expect(offer).toMatch(/RTP\/SAVP/);
      const { n, answer } = answerOf(offer, { transport: 'tls' });
      const theirs = /^a=crypto:(\d+) (\S+) inline:([A-Za-z0-9+/]{40})/m.exec(offer)!;
      expect(n.session.srtp).toMatchObject({ suite: theirs[2], remoteKeyBase64: theirs[3] });
      expect(answer.media[0]!.protocol).toBe('RTP/SAVP');
      expect(answer.media[0]!.crypto).toEqual([{ id: Number(theirs[1]), suite: theirs[2], config: `inline:${n.session.srtp!.localKeyBase64}` }]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
