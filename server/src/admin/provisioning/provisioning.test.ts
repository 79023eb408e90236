import { describe, expect, it } from 'vitest';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { endpointProvisioning, provisioningPayload, provisioningQr, ProvisioningError } from './index.js';

// jsqr is CommonJS whose types declare `export default`: under NodeNext the function is `.default`
// per the types, while Node hands back module.exports (which is the function, with .default too).
const jsQR = jsQRModule.default;

const input = {
  address: 'Room.Oslo-1@Acme.com',
  username: 'room.oslo-1',
  password: 'Zx9!long-secret',
  registrar: { host: 'sip.convene.example', port: 5061, transport: 'tls' as const },
  tier: 'plus' as const,
};

describe('endpointProvisioning', () => {
  it('builds SIP credentials, registrar and the tier bandwidth', () => {
    const c = endpointProvisioning(input);
    expect(c).toEqual({
      version: 1,
      sip: {
        address: 'room.oslo-1@acme.com',
        uri: 'sips:room.oslo-1@acme.com',
        username: 'room.oslo-1',
        password: 'Zx9!long-secret',
        registrar: { host: 'sip.convene.example', port: 5061, transport: 'tls', uri: 'sips:sip.convene.example:5061' },
      },
      bandwidth: { tier: 'plus', maxKbps: 1500 },
    });
  });

  it.each([
    ['basic', 768],
    ['plus', 1500],
    ['premium', 4000],
  ] as const)('tier %s → %i kbps', (tier, kbps) => {
    expect(endpointProvisioning({ ...input, tier }).bandwidth.maxKbps).toBe(kbps);
  });

  it('uses sip: with a transport parameter for UDP/TCP', () => {
    const c = endpointProvisioning({ ...input, registrar: { host: '192.0.2.10', port: 5060, transport: 'udp' } });
    expect(c.sip.uri).toBe('sip:room.oslo-1@acme.com');
    expect(c.sip.registrar.uri).toBe('sip:192.0.2.10:5060;transport=udp');
  });

  it.each([
    ['bad tier', { ...input, tier: 'gold' as never }],
    ['bad port', { ...input, registrar: { ...input.registrar, port: 70000 } }],
    ['short password', { ...input, password: 'short' }],
    ['address without domain', { ...input, address: 'room' }],
    ['address starting with a digit', { ...input, address: '1room@acme.com' }],
    ['username with a space', { ...input, username: 'a b' }],
    ['host with a slash', { ...input, registrar: { ...input.registrar, host: 'evil/x' } }],
  ])('refuses %s with provisioning_invalid', (_name, bad) => {
    let caught: unknown;
    try {
      endpointProvisioning(bad);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ProvisioningError);
    expect((caught as ProvisioningError).code).toBe('provisioning_invalid');
  });
});

describe('provisioningQr', () => {
  it('PNG decodes (jsQR) back to exactly the configuration', async () => {
    const config = endpointProvisioning(input);
    const png = await provisioningQr(config, 'png');
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    const img = PNG.sync.read(png);
    const decoded = jsQR(new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length), img.width, img.height);
    expect(decoded).not.toBeNull();
    expect(JSON.parse(decoded!.data)).toEqual(config);
  });

  it('different endpoints give different codes', async () => {
    const a = await provisioningQr(endpointProvisioning(input), 'png');
    const b = await provisioningQr(endpointProvisioning({ ...input, password: 'another-secret' }), 'png');
    const read = (buf: Buffer) => {
      const img = PNG.sync.read(buf);
      return jsQR(new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length), img.width, img.height)?.data;
    };
    expect(JSON.parse(read(b)!).sip.password).toBe('another-secret');
    expect(read(a)).not.toBe(read(b));
  });

  it('SVG is a standalone SVG document of the same QR symbol', async () => {
    const config = endpointProvisioning(input);
    const svg = await provisioningQr(config, 'svg');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const size = QRCode.create(provisioningPayload(config), { errorCorrectionLevel: 'M' }).modules.size;
    // viewBox covers the modules plus the 4-module quiet zone on each side.
    expect(svg).toContain(`viewBox="0 0 ${size + 8} ${size + 8}"`);
    expect(svg).toMatch(/<path[^>]+d="M/);
  });
});
