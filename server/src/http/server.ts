import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { HttpConfig } from './config.js';
import { installErrorHandler } from './error-handler.js';
import { evaluateReadiness, type ReadinessCheck } from './readiness.js';

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
  private draining = false;

  constructor(private readonly opts: HttpServerOptions) {
    this.app = Fastify({
      // pino's Logger and fastify's base logger type differ only in generics.
      loggerInstance: opts.logger.child({ component: 'http' }) as FastifyBaseLogger,
      bodyLimit: opts.config.bodyLimitBytes,
      // Per-request lines would drown the log in health probes and metrics scrapes.
      logController: new LogController({ disableRequestLogging: true }),
    });
    installErrorHandler(this.app);
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

  async listen(): Promise<AddressInfo> {
    await this.app.listen({ host: this.opts.config.host, port: this.opts.config.port });
    return this.app.server.address() as AddressInfo;
  }

  /** The URL to print for people: publicUrl, or localhost with the bound port. */
  publicUrl(): string {
    if (this.opts.config.publicUrl) return this.opts.config.publicUrl;
    const addr = this.app.server.address() as AddressInfo | null;
    return `http://localhost:${addr?.port ?? this.opts.config.port}/`;
  }

  /** Readiness turns false at once (load balancers stop sending); existing requests finish. */
  startDrain(): void {
    this.draining = true;
  }

  async close(): Promise<void> {
    this.draining = true;
    await this.app.close();
  }
}
