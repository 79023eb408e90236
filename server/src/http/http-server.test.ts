import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, issueServerCert, type IssuedCert, type TestCa } from '../../../test/support/test-ca.js';
import { errorCodes } from '../errors.js';
import type { HttpConfig } from './config.js';
import { HttpServer } from './server.js';

// The HTTP server on a real socket: what a browser, a scraper or an attacker on the network
// sees. The whole node (with Chromium over HTTPS) is in test/https.e2e.test.ts.

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-http-'));
const webRoot = path.join(work, 'web');
fs.mkdirSync(path.join(webRoot, 'assets'), { recursive: true });
fs.writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>t</title><p>hello</p>');
fs.writeFileSync(path.join(webRoot, 'assets', 'a.txt'), 'a');

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

function config(overrides: Partial<HttpConfig> = {}): HttpConfig {
  return {
    host: '127.0.0.1',
    port: 0,
    publicUrl: null,
    bodyLimitBytes: 4096,
    tls: { certFile: null, keyFile: null, caFile: null, reloadCheckIntervalMs: 100, redirectPort: null },
    hstsMaxAgeSeconds: 31536000,
    trustedProxies: [],
    metricsAccess: { networks: ['127.0.0.0/8'], bearerToken: null },
    apiDocsAccess: { networks: [], bearerToken: null },
    ...overrides,
  };
}

interface Started {
  server: HttpServer;
  base: string;
  logs: Record<string, unknown>[];
}

const started: HttpServer[] = [];

async function start(cfg: HttpConfig): Promise<Started> {
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const server = new HttpServer({ config: cfg, logger, registry: new Registry(), webRoot, version: 'test', checks: [] });
  // A JSON API route and one that reports how the request was seen (client address, scheme, host).
  server.app.post('/api/v1/things', async (req) => ({ received: req.body }));
  server.app.get('/api/v1/seen', async (req) => ({ ip: req.ip, protocol: req.protocol, host: req.host }));
  server.app.get('/api/docs', async () => ({ openapi: '3.1.0' }));
  started.push(server);
  const at = await server.listen();
  return { server, base: `${cfg.tls.certFile ? 'https' : 'http'}://127.0.0.1:${at.port}`, logs };
}

afterAll(async () => {
  for (const s of started) await s.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('error bodies carry the code of their status', () => {
  let base: string;
  beforeAll(async () => {
    ({ base } = await start(config()));
  });

  const cases: [string, string, RequestInit, number, string][] = [
    ['malformed JSON', '/api/v1/things', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' }, 400, 'bad_request'],
    ['a path climbing out of the web root', '/assets/%2e%2e/%2e%2e/etc/passwd', {}, 403, 'forbidden'],
    ['an unknown path', '/api/v1/nothing', {}, 404, 'not_found'],
    ['a wrong method', '/api/v1/things', { method: 'DELETE' }, 405, 'method_not_allowed'],
    ['a body over the limit', '/api/v1/things', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 'y'.repeat(8000) }) }, 413, 'payload_too_large'],
    ['an unsupported content type', '/api/v1/things', { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' }, 415, 'unsupported_media_type'],
    ['a range past the end', '/index.html', { headers: { range: 'bytes=100000-100010' } }, 416, 'range_not_satisfiable'],
    ['/api/docs with no network allowed', '/api/docs', {}, 403, 'forbidden'],
    ['/api/docs spelt with an escaped letter', '/api/%64ocs', {}, 403, 'forbidden'],
  ];

  it.each(cases)('%s', async (_label, urlPath, init, status, code) => {
    const res = await rawRequest(base, urlPath, init);
    expect(res.status).toBe(status);
    const body = JSON.parse(res.body) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(errorCodes().get(code)?.http).toBe(status);
    expect(body.error.message.length).toBeGreaterThan(0);
  });

  it('405 says which methods the path has; the static catch-all does not turn 404s into 405s', async () => {
    const wrong = await fetch(`${base}/api/v1/seen`, { method: 'PUT' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${base}/no-such-file.js`)).status).toBe(404);
    expect((await fetch(`${base}/index.html`, { method: 'POST' })).status).toBe(404);
  });
});

describe('security headers', () => {
  let base: string;
  beforeAll(async () => {
    ({ base } = await start(config()));
  });

  it('are on pages, API replies and errors alike', async () => {
    for (const urlPath of ['/', '/api', '/api/v1/nothing', '/assets/a.txt']) {
      const res = await fetch(base + urlPath);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, urlPath).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      // Plain HTTP: HSTS would be ignored by browsers and wrong for a laptop.
      expect(res.headers.get('strict-transport-security')).toBeNull();
    }
  });
});

describe('X-Forwarded-* from trusted proxies only', () => {
  const metricsAccess = { networks: ['10.0.0.0/8'], bearerToken: METRICS_TOKEN };

  it('behind a trusted proxy, the forwarded client address, scheme and host count', async () => {
    const { base } = await start(config({ trustedProxies: ['127.0.0.1', '192.0.2.0/24'], metricsAccess }));
    const seen = async (headers: Record<string, string>) => (await (await fetch(`${base}/api/v1/seen`, { headers })).json()) as Record<string, string>;
    expect(await seen({ 'x-forwarded-for': '10.1.2.3', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'meet.example.com' })).toEqual({
      ip: '10.1.2.3',
      protocol: 'https',
      host: 'meet.example.com',
    });
    // A client-supplied entry left of an untrusted hop is not believed: the client is the first untrusted address from the right.
    expect((await seen({ 'x-forwarded-for': '10.9.9.9, 203.0.113.7, 192.0.2.10' })).ip).toBe('203.0.113.7');

    // /metrics is open to 10/8 only: the forwarded address decides, and a spoofed leftmost entry does not help.
    expect((await fetch(`${base}/metrics`)).status).toBe(403);
    expect((await rawRequest(base, '/%6detrics', {})).status).toBe(403);
    expect((await fetch(`${base}/metrics`, { headers: { 'x-forwarded-for': '10.1.2.3' } })).status).toBe(200);
    expect((await fetch(`${base}/metrics`, { headers: { 'x-forwarded-for': '10.1.2.3, 203.0.113.7' } })).status).toBe(403);
    // Or the bearer token, from anywhere.
    expect((await fetch(`${base}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.7', authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
    expect((await fetch(`${base}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.7', authorization: `Bearer ${METRICS_TOKEN}x` } })).status).toBe(403);

    // The proxy terminated TLS: HSTS goes out on what the browser saw as HTTPS.
    const viaHttps = await fetch(`${base}/`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(viaHttps.headers.get('strict-transport-security')).toBe('max-age=31536000');
  });

  it('with no trusted proxies, the headers are ignored', async () => {
    const { base } = await start(config({ trustedProxies: [], metricsAccess }));
    const seen = (await (await fetch(`${base}/api/v1/seen`, { headers: { 'x-forwarded-for': '10.1.2.3', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' } })).json()) as Record<string, string>;
    expect(seen.ip).toBe('127.0.0.1');
    expect(seen.protocol).toBe('http');
    expect(seen.host).not.toBe('evil.example');
    expect((await fetch(`${base}/metrics`, { headers: { 'x-forwarded-for': '10.1.2.3' } })).status).toBe(403);
    expect((await fetch(`${base}/`, { headers: { 'x-forwarded-proto': 'https' } })).headers.get('strict-transport-security')).toBeNull();
  });
});

/** A request with the path exactly as given (fetch would normalise `%2e%2e` away). */
function rawRequest(base: string, urlPath: string, init: RequestInit): Promise<{ status: number; body: string }> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: urlPath, method: init.method ?? 'GET', headers: init.headers as Record<string, string> | undefined, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(typeof init.body === 'string' ? init.body : undefined);
  });
}

/** A GET over HTTPS trusting `ca`; a fresh connection each time (no keep-alive agent). */
function httpsGet(url: string, ca: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, agent: false, headers }, (res) => {
      const fingerprint = (res.socket as tls.TLSSocket).getPeerCertificate().fingerprint256;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, fingerprint }));
    });
    req.on('error', reject);
  });
}

function plainGet(port: number, urlPath: string, host: string): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers: { host }, agent: false }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: res.headers.location });
    });
    req.on('error', reject);
  });
}

describe('HTTPS', () => {
  let ca: TestCa;
  let first: IssuedCert;
  let second: IssuedCert;
  const live = { certFile: path.join(work, 'live', 'server.crt'), keyFile: path.join(work, 'live', 'server.key') };
  let s: Started;

  beforeAll(async () => {
    ca = await createTestCa(path.join(work, 'ca'));
    first = await issueServerCert(ca, path.join(work, 'ca', 'first'));
    second = await issueServerCert(ca, path.join(work, 'ca', 'second'));
    fs.mkdirSync(path.dirname(live.certFile), { recursive: true });
    fs.copyFileSync(first.certFile, live.certFile);
    fs.copyFileSync(first.keyFile, live.keyFile);
    s = await start(config({ tls: { ...live, caFile: null, reloadCheckIntervalMs: 100, redirectPort: 0 } }));
  });

  it('serves pages over TLS with HSTS, and names https in its public URL', async () => {
    const res = await httpsGet(`${s.base}/`, ca.pem);
    expect(res.status).toBe(200);
    expect(res.body).toContain('hello');
    expect(res.fingerprint).toBe(first.fingerprint256);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(s.server.publicUrl()).toBe(`https://localhost:${s.server.port()}/`);
  });

  it('redirects plain HTTP to the same path on HTTPS', async () => {
    const port = s.server.redirectPort()!;
    const httpsPort = s.server.port();
    expect(await plainGet(port, '/portal/accept?token=abc', `localhost:${port}`)).toEqual({
      status: 301,
      location: `https://localhost:${httpsPort}/portal/accept?token=abc`,
    });
    // A Host header that is not a host name is not copied into Location.
    expect((await plainGet(port, '/', 'evil.example\\@x')).status).toBe(400);
    // Plain HTTP on the HTTPS port is not served.
    await expect(fetch(`http://127.0.0.1:${httpsPort}/`)).rejects.toThrow();
  });

  it('puts a renewed certificate in service without a restart, never a mismatched half', async () => {
    // A renewal that wrote the new certificate but not yet its key: the pair is refused, the old one stays.
    fs.copyFileSync(second.certFile, live.certFile);
    await expect.poll(() => s.logs.some((l) => String(l.msg).includes('not a usable pair')), { timeout: 10_000, interval: 50 }).toBe(true);
    expect((await httpsGet(`${s.base}/`, ca.pem)).fingerprint).toBe(first.fingerprint256);
    // The key arrives: new connections get the new certificate.
    fs.copyFileSync(second.keyFile, live.keyFile);
    await expect.poll(async () => (await httpsGet(`${s.base}/`, ca.pem)).fingerprint, { timeout: 10_000, interval: 100 }).toBe(second.fingerprint256);
    expect(s.logs.some((l) => l.msg === 'TLS certificate reloaded' && l.fingerprint === second.fingerprint256)).toBe(true);
  });

  it('refuses to start with a key that does not match the certificate', () => {
    const bad = config({ tls: { certFile: first.certFile, keyFile: second.keyFile, caFile: null, reloadCheckIntervalMs: 100, redirectPort: null } });
    expect(() => new HttpServer({ config: bad, logger: pino({ level: 'silent' }), registry: new Registry(), webRoot, version: 't', checks: [] })).toThrow(/key values mismatch/);
  });
});
