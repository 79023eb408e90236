import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from './support/redis.js';
import { eventually, processAlive, repoRoot, spawnConvene, testNodeConfig, tsxLoader, type ConveneProcess } from './support/convene-process.js';

const baseConfig = (extra = '') => testNodeConfig(extra);

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
};

describe('a Convene node with the embedded store', () => {
  let node: ConveneProcess;
  let url: string;
  beforeAll(async () => {
    node = spawnConvene(baseConfig());
    url = await node.ready;
  });
  afterAll(async () => {
    if (node.proc.exitCode === null) node.kill('SIGKILL');
    fs.rmSync(node.dir, { recursive: true, force: true });
  });

  it('serves the web page, the API root, health and readiness', async () => {
    expect((await get(url)).text).toContain('<title>Convene</title>');
    const api = JSON.parse((await get(`${url}api`)).text) as { name: string; version: string };
    expect(api.name).toBe('convene');
    expect((await get(`${url}healthz`)).status).toBe(200);
    const ready = await get(`${url}readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({ status: 'ready', checks: { store: true, media_workers: true, http: true } });
  });

  it('on first start seeds the demo rooms, which are joinable by address', async () => {
    const rooms = node.logs.filter((r) => String(r.msg).startsWith('demo room:')).map((r) => r.address);
    expect(rooms).toEqual(['demo.meeting@convene.example', 'demo.hostpin@convene.example', 'demo.lobby@convene.example']);
    expect(node.logs.some((r) => String(r.msg).startsWith('first start: partner admin API token'))).toBe(true);
    expect(node.logs.some((r) => String(r.msg).startsWith('first start: service operator API token'))).toBe(true);
    // The seed went through the admin API, so the audit log recorded it.
    expect(node.logs.some((r) => r.msg === 'audit POST /api/v1/companies/:companyId/team-vmrs → 201')).toBe(true);
    const { SignalingClient } = await import('./support/signaling-client.js');
    const { client } = await SignalingClient.open(`${url.replace('http', 'ws')}ws`);
    const joined = await client.request('join', { address: 'demo.meeting@convene.example', displayName: 'Newcomer', mode: 'video', bandwidthKbps: 1200 });
    expect(joined).toMatchObject({ role: 'host', state: 'joined' });
    await client.request('leave', {});
    await client.closed;
  });

  it('exposes Prometheus metrics for workers, the store and the event loop', async () => {
    const { text } = await get(`${url}metrics`);
    expect(text).toMatch(/^convene_media_workers_alive 1$/m);
    expect(text).toMatch(/^convene_store_up 1$/m);
    expect(text).toMatch(/^convene_media_worker_max_rss_bytes\{worker="0",pid="\d+"\} [1-9]/m);
    expect(text).toMatch(/^convene_media_worker_cpu_seconds\{worker="0"/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
  });

  it('answers unknown API paths with the JSON error shape', async () => {
    const res = await get(`${url}api/v1/nope`);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'not_found' } });
  });

  it('drains on SIGTERM: exits 0, logs the drain, and stops its redis-server', async () => {
    const redisPid = (await node.waitForLog((r) => r.msg === 'embedded redis ready')).redisPid as number;
    expect(processAlive(redisPid)).toBe(true);
    node.kill('SIGTERM');
    const { code } = await node.exited;
    expect(code).toBe(0);
    expect(node.logs.some((r) => r.msg === 'draining: no new work accepted')).toBe(true);
    expect(node.logs.some((r) => r.msg === 'stopped cleanly')).toBe(true);
    await eventually(() => !processAlive(redisPid), 10_000);
  });
});

describe('persistence of the embedded store across restarts of Convene', () => {
  it('a key written by one run is there in the next', async () => {
    const first = spawnConvene(baseConfig());
    await first.ready;
    const socket = path.join(first.dir, 'redis', 'redis.sock');
    const cli = (...args: string[]) => spawnSync('redis-cli', ['-s', socket, ...args], { encoding: 'utf8' }).stdout.trim();
    expect(cli('SET', 'convene:test:restart', 'still-here')).toBe('OK');
    first.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);

    // Same data dir, new process.
    const configFile = path.join(first.dir, 'config.yaml');
    const second = spawnConvene(fs.readFileSync(configFile, 'utf8'));
    try {
      await second.ready;
      const socket2 = path.join(first.dir, 'redis', 'redis.sock');
      expect(spawnSync('redis-cli', ['-s', socket2, 'GET', 'convene:test:restart'], { encoding: 'utf8' }).stdout.trim()).toBe('still-here');
    } finally {
      second.kill('SIGTERM');
      await second.exited;
      fs.rmSync(first.dir, { recursive: true, force: true });
      fs.rmSync(second.dir, { recursive: true, force: true });
    }
  });
});

describe('a Convene node on an external Redis', () => {
  let redis: TestRedis;
  let node: ConveneProcess;
  let url: string;
  beforeAll(async () => {
    redis = await startTestRedis();
    node = spawnConvene(baseConfig(), { CONVENE_STORE__REDIS_URL: redis.url });
    url = await node.ready;
  });
  afterAll(async () => {
    node.kill('SIGKILL');
    await node.exited;
    await redis.stop();
    fs.rmSync(node.dir, { recursive: true, force: true });
  });

  it('starts no redis-server of its own', () => {
    expect(node.logs.some((r) => r.msg === 'embedded redis ready')).toBe(false);
    expect(fs.existsSync(path.join(node.dir, 'redis'))).toBe(false);
  });

  it('reports not-ready while Redis is down and recovers without a restart', async () => {
    const readiness = async () => (await fetch(`${url}readyz`)).status;
    expect(await readiness()).toBe(200);
    await redis.server.stop();
    await eventually(async () => (await readiness()) === 503);
    const body = JSON.parse((await get(`${url}readyz`)).text) as { checks: Record<string, boolean> };
    expect(body.checks.store).toBe(false);
    expect((await get(`${url}metrics`)).text).toMatch(/^convene_store_up 0$/m);
    await node.waitForLog((r) => r.msg === 'store connection lost');

    await redis.server.start();
    await eventually(async () => (await readiness()) === 200);
    expect(node.proc.exitCode).toBe(null);
  });
});

describe('start-up with bad settings', () => {
  const run = (yaml: string, env: NodeJS.ProcessEnv = {}) => {
    const dir = fs.mkdtempSync(path.join(repoRoot, 'node_modules', '.convene-badcfg-'));
    fs.writeFileSync(path.join(dir, 'c.yaml'), yaml);
    const res = spawnSync(process.execPath, ['--import', tsxLoader, path.join(repoRoot, 'bin', 'convene.ts'), '--config', path.join(dir, 'c.yaml')], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 30_000,
    });
    fs.rmSync(dir, { recursive: true, force: true });
    return res;
  };

  it('stops with the key and the problem named, and no stack trace', () => {
    const res = run('http:\n  port: 70000\n');
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/http\.port: .*65535/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('names an unknown key and a bad environment override', () => {
    const res = run('sfu:\n  wokers: 2\n', { CONVENE_STORE__REDIS_URL: 'localhost:6379' });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/sfu.*wokers/);
    expect(res.stderr).toMatch(/store\.redisUrl: must start with redis:\/\//);
  });

  it('refuses a WebRTC port inside the RTC port range', () => {
    const res = run('sfu:\n  workers: 4\n  webRtcServer:\n    basePort: 44998\n');
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/sfu\.webRtcServer\.basePort: basePort\.\.basePort\+workers-1 must lie outside/);
  });
});
