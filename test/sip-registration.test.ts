import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from './support/baresip.js';
import { eventually } from './support/convene-process.js';
import { startServiceFixture, type ServiceFixture } from './support/service-fixture.js';

/**
 * Administration meets the SIP stack: an endpoint created through the admin API registers with
 * the running node using the credentials from its provisioning configuration (real baresip).
 */
let f: ServiceFixture;
let sipPort: number;
let workDir: string;
let endpoint: { address: string; username: string; password: string };

beforeAll(async () => {
  f = await startServiceFixture();
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-sipreg-'));
  sipPort = f.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port;
  const company = await f.api<{ id: string }>('POST', '/companies', { name: 'Room Systems Inc' });
  await f.api('POST', `/companies/${company.id}/plans`, {
    planType: 'endpoint_plus', quantity: 2, pricePerLicenceCents: 500, currency: 'EUR', paymentPlan: 'monthly',
    autoRenew: true, costCenter: 'av', references: '', reference: 'test',
  });
  const created = await f.api<{ id: string; address: string }>('POST', `/companies/${company.id}/endpoints`, {
    name: 'Boardroom', localPart: 'boardroom.codec', domain: f.service.admin.config.defaultDomain, tier: 'plus',
  });
  const prov = await f.api<{ sip: { uri: string; username: string; password: string } }>('GET', `/companies/${company.id}/endpoints/${created.id}/provisioning`);
  endpoint = { address: created.address, username: prov.sip.username, password: prov.sip.password };
});

afterAll(async () => {
  await f.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

/** Runs baresip with one account until `until` holds (or 20 s), then stops it. */
async function withBaresipOnce(password: string, until: (output: string) => Promise<boolean> | boolean): Promise<{ ok: boolean; output: string }> {
  const dir = fs.mkdtempSync(path.join(workDir, 'baresip-'));
  const localPort = await freeUdpPort();
  fs.writeFileSync(
    path.join(dir, 'config'),
    ['poll_method\tepoll', `sip_listen\t127.0.0.1:${localPort}`, 'sip_trans_def\tudp', 'module_path\t/usr/lib/baresip/modules',
      'module_app\taccount.so', 'audio_player\tnone', 'audio_source\tnone', 'audio_alert\tnone', ''].join('\n'),
  );
  // The provisioned username is the full address, so the digest user is given explicitly.
  fs.writeFileSync(
    path.join(dir, 'accounts'),
    `<sip:${endpoint.address}>;auth_user=${endpoint.username};auth_pass=${password};outbound="sip:127.0.0.1:${sipPort}";regint=600\n`,
  );
  const child = spawn('baresip', ['-f', dir, '-t', '30'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  try {
    const ok = await eventually(() => until(output), 20_000).then(
      () => true,
      () => false,
    );
    return { ok, output };
  } finally {
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** baresip also binds TCP/TLS on its port; if another process took one meanwhile, try a new port. */
async function withBaresip(password: string, until: (output: string) => Promise<boolean> | boolean): Promise<{ ok: boolean; output: string }> {
  for (let attempt = 1; ; attempt++) {
    const r = await withBaresipOnce(password, until);
    if (r.ok || attempt === 3 || !/Address already in use/.test(r.output)) return r;
  }
}

describe('an endpoint provisioned in the administration registers over SIP', () => {
  it('registers with its provisioned credentials; the binding is visible to the gateway', async () => {
    const aor = `sip:${endpoint.address}`;
    const r = await withBaresip(endpoint.password, async () => (await f.service.sipRegistrar.contactsFor(aor)).length > 0);
    expect(r.ok, r.output).toBe(true);
    const metrics = await (await fetch(`${f.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^sip_registrations_total\{kind="new"\} [1-9]/m);
  });

  it('a wrong password is refused and registers nothing', async () => {
    const aor = `sip:${endpoint.address}`;
    await eventually(async () => (await f.service.sipRegistrar.contactsFor(aor)).length === 0, 15_000);
    const r = await withBaresip('not-the-password', (output) => /403 Forbidden/.test(output));
    expect(r.ok, r.output).toBe(true);
    expect(await f.service.sipRegistrar.contactsFor(aor)).toEqual([]);
    expect(r.output).toMatch(/403/);
  });
});
