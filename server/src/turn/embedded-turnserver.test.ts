import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { processAlive } from '../../../test/support/convene-process.js';
import { freeUdpTcpPort, relayPortWindow, TurnTestClient } from '../../../test/support/turn-client.js';
import { turnConfigSchema, type TurnConfig } from './config.js';
import { turnCredential } from './credentials.js';
import { EmbeddedTurnServer } from './embedded-turnserver.js';
import { stunBinding } from './stun-probe.js';

// Real coturn (Debian's turnserver) started by the supervisor, asked by a real TURN client.
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const SECRET = 'embedded-turn-test-secret-0123456789';
const defaults = (YAML.parse(fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../config/default.yaml'), 'utf8')) as { turn: unknown }).turn;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startTurn(overrides: Partial<TurnConfig['embedded']> = {}, restartDelayMs = 100) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-turn-'));
  cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const port = await freeUdpTcpPort();
  const base = turnConfigSchema.parse(defaults);
  const config = { ...base.embedded, enabled: true, dataDir, listenIp: '127.0.0.1', port, ...relayPortWindow(), allowLoopbackPeers: true, ...overrides };
  const turn = new EmbeddedTurnServer({ config, secret: SECRET, sfuAddresses: ['127.0.0.1'], logger, restartDelayMs });
  cleanups.push(() => turn.stop());
  await turn.start();
  return { turn, port, dataDir };
}

function client(port: number, username: string, password: string): TurnTestClient {
  const c = new TurnTestClient('127.0.0.1', port, username, password);
  cleanups.push(() => c.close());
  return c;
}

describe('EmbeddedTurnServer (coturn)', () => {
  it('grants an allocation for a credential we issue, and refuses forged and expired ones', async () => {
    const { turn, port } = await startTurn();
    let allocations = 0;
    turn.on('allocation', () => allocations++);
    const good = turnCredential(SECRET, 'session-good', 600, Date.now());
    const granted = await client(port, good.username, good.credential).allocate();
    expect(granted).toMatchObject({ ok: true });

    const forged = turnCredential('some-other-secret-0123456789', 'session-forged', 600, Date.now());
    expect(await client(port, forged.username, forged.credential).allocate()).toMatchObject({ ok: false, errorCode: 401 });

    const expired = turnCredential(SECRET, 'session-expired', 60, Date.now() - 120_000);
    expect(await client(port, expired.username, expired.credential).allocate()).toMatchObject({ ok: false, errorCode: 401 });

    // A valid username with the password of another one.
    const other = turnCredential(SECRET, 'session-other', 600, Date.now());
    expect(await client(port, other.username, good.credential).allocate()).toMatchObject({ ok: false, errorCode: 401 });
    // What convene_turn_allocations_total counts: only the granted one (coturn logs it just after answering).
    await expect.poll(() => allocations, { timeout: 5_000 }).toBe(1);
  });

  it('lets the relay reach only the SFU address, not other hosts', async () => {
    const { port } = await startTurn();
    const cred = turnCredential(SECRET, 'session-peers', 600, Date.now());
    const c = client(port, cred.username, cred.credential);
    expect(await c.allocate()).toMatchObject({ ok: true });
    expect(await c.createPermission('127.0.0.1')).toMatchObject({ ok: true });
    expect(await c.createPermission('10.1.2.3')).toMatchObject({ ok: false, errorCode: 403 });
    expect(await c.createPermission('192.168.1.1')).toMatchObject({ ok: false, errorCode: 403 });
  });

  it('refuses loopback peers unless allowLoopbackPeers (the production setting)', async () => {
    const { port } = await startTurn({ allowLoopbackPeers: false });
    const cred = turnCredential(SECRET, 'session-loopback', 600, Date.now());
    const c = client(port, cred.username, cred.credential);
    expect(await c.allocate()).toMatchObject({ ok: true });
    expect(await c.createPermission('127.0.0.1')).toMatchObject({ ok: false, errorCode: 403 });
  });

  it('keeps the secret out of the command line, in a file only its owner can read', async () => {
    const { turn, dataDir } = await startTurn();
    const cmdline = fs.readFileSync(`/proc/${turn.pid}/cmdline`, 'utf8');
    expect(cmdline).not.toContain(SECRET);
    const conf = path.join(dataDir, 'turnserver.conf');
    expect(fs.readFileSync(conf, 'utf8')).toContain(`static-auth-secret=${SECRET}`);
    expect(fs.statSync(conf).mode & 0o077).toBe(0);
  });

  it('restarts turnserver after it is killed; it answers again', async () => {
    const { turn, port } = await startTurn();
    const oldPid = turn.pid!;
    const readyAgain = turn.waitFor('ready');
    process.kill(oldPid, 'SIGKILL');
    const [newPid] = await readyAgain;
    expect(newPid).not.toBe(oldPid);
    expect(turn.restarts).toBe(1);
    expect(turn.up).toBe(true);
    expect(await stunBinding('127.0.0.1', port, 1000)).toBe(true);
    const cred = turnCredential(SECRET, 'session-after-restart', 600, Date.now());
    expect(await client(port, cred.username, cred.credential).allocate()).toMatchObject({ ok: true });
  });

  it('stop() leaves no turnserver behind and is safe to call twice', async () => {
    const { turn, port } = await startTurn();
    const pid = turn.pid!;
    await turn.stop();
    await turn.stop();
    expect(processAlive(pid)).toBe(false);
    expect(await stunBinding('127.0.0.1', port, 300)).toBe(false);
  });

  it('fails start-up with a clear message when turnserver is missing', async () => {
    await expect(startTurn({ turnserverBin: '/nonexistent/turnserver' })).rejects.toThrow(/cannot start \/nonexistent\/turnserver.*coturn/);
  });
});
