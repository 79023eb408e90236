import { describe, expect, it } from 'vitest';
import { routeRequestUri, type RouteContext } from './routing.js';

const ctx = (verified: string[] = []): RouteContext => ({
  defaultDomain: 'convene.example',
  isStaticallyHosted: (h) => h === '127.0.0.1' || h === 'convene.example',
  isIpAddress: (h) => /^[\d.]+$/.test(h) || h.includes(':'),
  isVerifiedCustomerDomain: async (d) => verified.includes(d),
});

describe('which meeting a Request-URI names', () => {
  it('alias, personal .vmr address and numeric id on the default domain', async () => {
    expect(await routeRequestUri({ user: 'demo.meeting', host: 'convene.example' }, ctx())).toEqual({ ok: true, address: 'demo.meeting@convene.example' });
    expect(await routeRequestUri({ user: 'Alice.Smith.VMR', host: 'Convene.Example' }, ctx())).toEqual({ ok: true, address: 'alice.smith.vmr@convene.example' });
    expect(await routeRequestUri({ user: '123456', host: 'convene.example' }, ctx())).toEqual({ ok: true, address: '123456' });
  });

  it('the user part alone when the host is our own address (default domain applies)', async () => {
    expect(await routeRequestUri({ user: 'demo.meeting', host: '127.0.0.1' }, ctx())).toEqual({ ok: true, address: 'demo.meeting@convene.example' });
    expect(await routeRequestUri({ user: '+123456', host: '127.0.0.1' }, ctx())).toEqual({ ok: true, address: '123456' });
  });

  it('subdomains of the default domain and verified customer domains are ours; other domains are refused with 403', async () => {
    expect(await routeRequestUri({ user: 'board', host: 'eu.convene.example' }, ctx())).toEqual({ ok: true, address: 'board@eu.convene.example' });
    expect(await routeRequestUri({ user: 'board', host: 'acme.example' }, ctx(['acme.example']))).toEqual({ ok: true, address: 'board@acme.example' });
    expect(await routeRequestUri({ user: 'board', host: 'other.example' }, ctx(['acme.example']))).toMatchObject({ ok: false, status: 403, code: 'not_hosted' });
    expect(await routeRequestUri({ user: 'board', host: '10.9.9.9' }, ctx())).toMatchObject({ ok: false, status: 403 });
  });

  it('no usable user part is a 404', async () => {
    expect(await routeRequestUri({ user: undefined, host: 'convene.example' }, ctx())).toMatchObject({ ok: false, status: 404, code: 'bad_user' });
    expect(await routeRequestUri({ user: '../etc', host: 'convene.example' }, ctx())).toMatchObject({ ok: false, status: 404 });
  });
});
