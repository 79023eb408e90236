import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { HttpConfig } from './config.js';
import { installErrorHandler } from './error-handler.js';
import { ProxyTrust } from './networks.js';
import { evaluateReadiness, type ReadinessCheck } from './readiness.js';
import { HttpsRedirectServer } from './redirect.js';
import { operatorAccessGuard } from './operator-access.js';
import { installSecurityHeaders } from './security-headers.js';
import { CertificateReloader, readCertificatePair, tlsEnabled } from './tls.js';

export interface HttpServerOptions {
  config: HttpConfig;
  logger: Logger;
  registry: Registry;
  /** Folder of the web app's static files. */
  webRoot: string;
  version: string;
  checks: ReadinessCheck[];
}

/**
 * The one HTTP server: API, web app, /metrics, /healthz (alive) and /readyz (dependencies up and
 * not draining). Other subsystems add their routes to `app` before `listen()`.
 */
export class HttpServer {
  readonly app: FastifyInstance;
  /** Whose X-Forwarded-* to believe; `clientAddress(req)` is the address limits and logs use. */
  readonly proxies: ProxyTrust;
  /** Present when HTTPS is on. */
  readonly certificates: CertificateReloader | null = null;
  private readonly redirect: HttpsRedirectServer | null = null;
  private draining = false;

  constructor(private readonly opts: HttpServerOptions) {
    const log = opts.logger.child({ component: 'http' });
    const tlsConfig = opts.config.tls;
    this.proxies = new ProxyTrust(opts.config.trustedProxies);
    let server: http.Server | https.Server;
    if (tlsEnabled(tlsConfig)) {
      const pair = readCertificatePair(tlsConfig);
      const httpsServer = https.createServer({ key: pair.key, cert: pair.cert });
      const expiry = new Gauge({ name: 'convene_tls_certificate_expiry_seconds', help: 'Expiry of the HTTPS certificate in service (Unix time).', registers: [opts.registry] });
      expiry.set(pair.validToMs / 1000);
      this.certificates = new CertificateReloader(httpsServer, tlsConfig, pair, log, (p) => expiry.set(p.validToMs / 1000));
      server = httpsServer;
      if (tlsConfig.redirectPort !== null) this.redirect = new HttpsRedirectServer(() => this.port(), opts.config.publicUrl);
    } else {
      server = http.createServer();
    }
    this.app = Fastify({
      // pino's Logger and fastify's base logger type differ only in generics.
      loggerInstance: log as FastifyBaseLogger,
      bodyLimit: opts.config.bodyLimitBytes,
      // Per-request lines would drown the log in health probes and metrics scrapes.
      logController: new LogController({ disableRequestLogging: true }),
      // Our own server (plain or TLS) so the certificate can be swapped on it; fastify sees an
      // http.Server either way (https.Server has the same request API).
      serverFactory: (handler) => server.on('request', handler) as http.Server,
      trustProxy: (address: string) => this.proxies.trusts(address),
    });
    installErrorHandler(this.app);
    installSecurityHeaders(this.app, { hstsMaxAgeSeconds: opts.config.hstsMaxAgeSeconds });
    const metricsGuard = operatorAccessGuard(opts.config.metricsAccess, this.proxies, '/metrics');
    const docsGuard = operatorAccessGuard(opts.config.apiDocsAccess, this.proxies, '/api/docs');
    // By the route matched, not the raw URL: `/%6detrics` reaches the /metrics route too.
    this.app.addHook('onRequest', async (request, reply) => {
      const route = request.routeOptions.url;
      if (route === '/metrics') await metricsGuard(request, reply);
      else if (route === '/api/docs') await docsGuard(request, reply);
    });
    const checks: ReadinessCheck[] = [
      ...opts.checks,
      { name: 'http', ok: () => this.app.server.listening },
      { name: 'accepting', ok: () => !this.draining },
    ];
    this.app.get('/healthz', async () => ({ status: 'alive' }));
    this.app.get('/readyz', async (_req, reply) => {
      const report = evaluateReadiness(checks);
      return reply.status(report.ready ? 200 : 503).send({ status: report.ready ? 'ready' : 'not_ready', checks: report.checks });
    });
    this.app.get('/metrics', async (_req, reply) => {
      const body = await opts.registry.metrics();
      return reply.type(opts.registry.contentType).send(body);
    });
    this.app.get('/api', async () => ({
      name: 'convene',
      version: opts.version,
      links: { health: '/healthz', readiness: '/readyz', metrics: '/metrics' },
    }));
    if (fs.existsSync(opts.webRoot)) {
      void this.app.register(fastifyStatic, { root: opts.webRoot, prefix: '/', index: ['index.html'] });
    }
  }

  get isDraining(): boolean {
    return this.draining;
  }

  get tls(): boolean {
    return this.certificates !== null;
  }

  async listen(): Promise<AddressInfo> {
    await this.app.listen({ host: this.opts.config.host, port: this.opts.config.port });
    if (this.redirect && this.opts.config.tls.redirectPort !== null) {
      const at = await this.redirect.listen(this.opts.config.host, this.opts.config.tls.redirectPort);
      this.app.log.info({ port: at.port }, 'redirecting plain HTTP to HTTPS');
    }
    return this.app.server.address() as AddressInfo;
  }

  /** The bound port (HTTPS when tls is on). */
  port(): number {
    return (this.app.server.address() as AddressInfo | null)?.port ?? this.opts.config.port;
  }

  /** The redirect listener's bound port, when there is one. */
  redirectPort(): number | null {
    return this.redirect?.address()?.port ?? null;
  }

  /** The URL to print for people: publicUrl, or localhost with the bound port. */
  publicUrl(): string {
    if (this.opts.config.publicUrl) return this.opts.config.publicUrl;
    return `${this.tls ? 'https' : 'http'}://localhost:${this.port()}/`;
  }

  /** Readiness turns false at once (load balancers stop sending); existing requests finish. */
  startDrain(): void {
    this.draining = true;
  }

  async close(): Promise<void> {
    this.draining = true;
    this.certificates?.close();
    await this.redirect?.close();
    await this.app.close();
  }
}
