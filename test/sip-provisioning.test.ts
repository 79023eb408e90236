/**
 * Issue 13, bug 5: endpoint provisioning (and its QR code) names a SIP listener the node really
 * has. A whole node (service fixture): with a TLS listener and no `sip.tls`, a self-signed
 * certificate is generated into the data dir and the endpoint is provisioned with sips: on the
 * bound port, where a TLS client gets SIP answers; without a TLS listener it is provisioned with
 * the TCP listener instead of a non-existent sips:…:5061.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { startServiceFixture, type ServiceFixture } from './support/service-fixture.js';

interface Provisioning {
  sip: { registrar: { host: string; port: number; transport: string; uri: string } };
}

const fixtures: ServiceFixture[] = [];
const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-sip-tls-'));
afterAll(async () => {
  for (const f of fixtures) await f.stop();
  fs.rmSync(certDir, { recursive: true, force: true });
});

async function provisionedEndpoint(f: ServiceFixture, localPart: string): Promise<Provisioning> {
  const company = await f.api<{ id: string }>('POST', '/companies', { name: `Prov ${localPart}` });
  await f.api('POST', `/companies/${company.id}/plans`, { planType: 'endpoint_basic', quantity: 1, pricePerLicenceCents: 0, paymentPlan: 'monthly' });
  const ep = await f.api<{ id: string }>('POST', `/companies/${company.id}/endpoints`, { name: 'Room', localPart, tier: 'basic' });
  return f.api<Provisioning>('GET', `/companies/${company.id}/endpoints/${ep.id}/provisioning`);
}

/** Sends one SIP OPTIONS over TLS (the generated certificate is self-signed) and returns the status line. */
function optionsOverTls(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'sip.convene.example' }, () => {
      const branch = `z9hG4bK${Math.random().toString(36).slice(2)}`;
      socket.write(
        [
          'OPTIONS sip:convene.example SIP/2.0',
          `Via: SIP/2.0/TLS 127.0.0.1:${socket.localPort};branch=${branch}`,
          'Max-Forwards: 70',
          'From: <sip:probe@convene.example>;tag=1',
          'To: <sip:convene.example>',
          `Call-ID: ${branch}@127.0.0.1`,
          'CSeq: 1 OPTIONS',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      );
    });
    let buf = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no SIP answer over TLS; got ${JSON.stringify(buf)}`));
    }, 10_000);
    socket.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      if (buf.includes('\r\n')) {
        clearTimeout(timer);
        socket.end();
        resolve(buf.split('\r\n')[0] ?? '');
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe('provisioning names a SIP listener that exists', () => {
  it('a TLS listener without sip.tls gets a generated certificate; endpoints get sips: on its port, which answers', async () => {
    const f = await startServiceFixture({
      sip: {
        transports: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }, { protocol: 'tcp', host: '127.0.0.1', port: 0 }, { protocol: 'tls', host: '127.0.0.1', port: 0 }],
        selfSignedCertDir: certDir,
      },
    });
    fixtures.push(f);
    expect(fs.existsSync(path.join(certDir, 'sip-cert.pem'))).toBe(true);
    expect(fs.statSync(path.join(certDir, 'sip-key.pem')).mode & 0o077).toBe(0);
    const tlsPort = f.service.sip.transports.find((t) => t.protocol === 'tls')?.local.port ?? 0;
    expect(tlsPort).toBeGreaterThan(0);

    const prov = await provisionedEndpoint(f, 'tls.room.device');
    expect(prov.sip.registrar).toEqual({ host: 'sip.convene.example', port: tlsPort, transport: 'tls', uri: `sips:sip.convene.example:${tlsPort}` });
    expect(await optionsOverTls(tlsPort)).toMatch(/^SIP\/2\.0 \d{3} /);
  });

  it('without a TLS listener, endpoints get the TCP listener, not a sips: URI nothing answers', async () => {
    const f = await startServiceFixture();
    fixtures.push(f);
    const tcpPort = f.service.sip.transports.find((t) => t.protocol === 'tcp')?.local.port ?? 0;
    const prov = await provisionedEndpoint(f, 'tcp.room.device');
    expect(prov.sip.registrar).toEqual({ host: 'sip.convene.example', port: tcpPort, transport: 'tcp', uri: `sip:sip.convene.example:${tcpPort};transport=tcp` });
  });
});
