import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { systemClock, type Clock } from '../common/src/index.js';
import {
  HostLinks,
  HttpServer,
  MeetingService,
  registeredEndpointVerifier,
  SignalingServer,
  createMetricsRegistry,
  registerAdmissionMetrics,
  registerMeetingMetrics,
  registerStoreMetrics,
  registerWorkerMetrics,
  startStore,
  startTurn,
  type Store,
  type TurnService,
} from '../server/src/index.js';
import { createAdmin, type Admin } from '../server/src/admin/index.js';
import { seedDemo, type DemoRoom } from '../server/src/demo/index.js';
import { MediaService, WorkerCpuAdmission, WorkerPool, resolveAnnouncedAddress, type MediaRoomApi } from '../sfu/src/index.js';
import { CallService, SipStack, createMediaEngine, promptCacheDir, startRegistrar, stackOptionsFromConfig, type CredentialStore } from '../sip-gateway/src/index.js';
import { packageRoot, type ConveneConfig } from './config.js';
import { ensureSelfSignedSipCert } from './sip-cert.js';

export interface RunningService {
  http: HttpServer;
  pool: WorkerPool;
  store: Store;
  admin: Admin;
  meetings: MeetingService<MediaRoomApi>;
  sip: SipStack;
  /** Inbound SIP calls into meetings. */
  calls: CallService;
  /** TURN servers handed to browsers, and the embedded coturn when enabled. */
  turn: TurnService;
  /** Where the gateway looks up registered endpoints (`contactsFor(aor)`). */
  sipRegistrar: ReturnType<typeof startRegistrar>['registrar'];
  registry: Registry;
  url: string;
  /** The first partner admin's token, only on the very first start (and only if not configured). */
  bootstrapToken: string | null;
  /** The generated service-operator token on first start (null when configured or already shown). */
  operatorToken: string | null;
  /** Rooms seeded on the very first start (empty afterwards or when demo.seed is off). */
  demoRooms: DemoRoom[];
  /** Stops accepting work, then closes in reverse start order. Safe to call twice. */
  stop(): Promise<void>;
}

/** The browser app's files: the esbuild output when built, else the status page. */
function webRoot(): string {
  const built = path.join(packageRoot, 'web', 'dist');
  return fs.existsSync(path.join(built, 'index.html')) ? built : path.join(packageRoot, 'web', 'public');
}

/**
 * Wiring only: store → SFU → admin → meetings → HTTP + signalling, each given its logger and
 * the metrics registry. If a step fails, what already started is stopped before the error
 * propagates.
 */
export async function startService(config: ConveneConfig, logger: Logger, version: string, opts: { clock?: Clock } = {}): Promise<RunningService> {
  // The administration and the meetings' timestamps (call records) follow `clock`; tests move it.
  const clock = opts.clock ?? systemClock;
  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (err) {
        logger.error({ err }, 'error while stopping');
      }
    }
  };
  try {
    const registry = createMetricsRegistry();

    const store = await startStore(config.store, logger);
    closers.push(() => store.close());
    registerStoreMetrics(registry, store.connection);
    const redis = store.connection.client;

    const workerBin = WorkerPool.resolveWorkerBin(config.sfu.workerBin, packageRoot);
    const pool = new WorkerPool(config.sfu, workerBin, logger.child({ component: 'sfu' }));
    closers.push(() => pool.close());
    await pool.start();
    registerWorkerMetrics(registry, pool);
    // New joins and calls wait while the media workers are at their CPU limit.
    const admission = new WorkerCpuAdmission(pool, config.sfu.admission, logger.child({ component: 'admission' }));
    admission.start();
    closers.push(() => admission.stop());
    registerAdmissionMetrics(registry, admission);
    const media = new MediaService(pool, config.sfu.media, logger.child({ component: 'media' }));
    closers.push(() => media.close());

    // TURN after the SFU: the embedded relay may only reach the SFU's media address.
    const { listenIp, announcedAddress } = config.sfu.webRtcServer;
    const turn = await startTurn(config.turn, {
      redis,
      sfuAddresses: [resolveAnnouncedAddress(listenIp, announcedAddress) ?? listenIp],
      clock: systemClock,
      logger,
      registry,
    });
    closers.push(() => turn.close());

    // Start links are minted by the member API and checked at join; every node shares the secret.
    const hostLinks = await HostLinks.load({ ...config.meetings.hostLink, redis, clock: systemClock });
    const admin = createAdmin({ redis, clock, logger, registry, config: config.admin, hostLinks });
    closers.push(() => admin.close());
    // Runs after the meetings ended (closers run in reverse): their last call records and events get stored.
    closers.push(() => admin.flush(3_000));
    const boot = await admin.bootstrap();
    admin.startJobs();

    let sipRegistrar: ReturnType<typeof startRegistrar>['registrar'] | undefined;
    const meetings = new MeetingService({
      directory: admin.repos,
      redis,
      openMediaRoom: (roomId) => media.openRoom(roomId),
      config: config.meetings,
      logger: logger.child({ component: 'meetings' }),
      clock,
      hostLinks,
      // A caller's registration (evidence the SIP gateway passes at join) read from the registrar started below.
      endpoints: registeredEndpointVerifier({
        liveBindings: async (aor) => (sipRegistrar ? sipRegistrar.contactsFor(aor) : []),
        endpointCompany: async (address) => (await admin.repos.getEndpointByAddress(address))?.companyId ?? null,
      }),
      admission,
    });
    closers.push(() => meetings.close());
    // Call records and event webhooks follow the meetings' lifecycle (also the meetings ended at shutdown).
    admin.observeMeetings(meetings.lifecycle);

    const http = new HttpServer({
      config: config.http,
      logger,
      registry,
      webRoot: webRoot(),
      version,
      checks: [
        { name: 'store', ok: () => store.connection.isUp },
        { name: 'media_workers', ok: () => pool.aliveWorkers > 0 },
        ...(turn.embedded ? [{ name: 'turn', ok: () => turn.embedded?.up === true }] : []),
      ],
    });
    closers.push(() => http.close());
    admin.registerRoutes(http.app);
    // The invitation mail links to /portal/accept?token=…; the portal page handles that path itself.
    http.app.get('/portal/accept', (_req, reply) => reply.sendFile('portal/index.html'));
    const demoRooms =
      boot.created && boot.token && config.demo.seed ? await seedDemo(http.app, boot.token, admin.config.defaultDomain) : [];

    // SIP: the stack serves the default domain unless told otherwise; endpoints provisioned in
    // the administration register with the credentials in their provisioning configuration.
    const { registrar: registrarConfig, calls: callsConfig, media: mediaEngineConfig, ...stackConfig } = config.sip;
    const hostedDomains = stackConfig.hostedDomains.length > 0 ? stackConfig.hostedDomains : [admin.config.defaultDomain];
    if (stackConfig.transports.some((t) => t.protocol === 'tls') && !stackConfig.tls) {
      const cert = await ensureSelfSignedSipCert(stackConfig.selfSignedCertDir, [admin.config.sipRegistrar.host, ...hostedDomains], logger.child({ component: 'sip' }));
      stackConfig.tls = { certFile: cert.certFile, keyFile: cert.keyFile, verifyPeer: true };
    }
    // INVITEs: the call layer checks the domain itself (customers' verified calling domains, at call time).
    const sip = new SipStack({ ...stackOptionsFromConfig({ ...stackConfig, hostedDomains }), domainCheckedByHandler: ['INVITE'] }, {
      logger: logger.child({ component: 'sip' }),
      registry,
      clock: systemClock,
      admission,
    });
    closers.push(() => sip.stop({ sendBye: true }));
    await sip.start();
    // Provisioning (and QR codes) must name a listener that exists: tell the admin what is bound.
    admin.setSipListeners(sip.transports.map((t) => ({ protocol: t.protocol, port: t.local.port })));
    const endpointCredentials: CredentialStore = {
      async lookup(username, realm) {
        const endpoint = await admin.repos.getEndpointByAddress(username.includes('@') ? username : `${username}@${realm}`);
        return endpoint ? { kind: 'password', password: endpoint.sipPassword } : undefined;
      },
    };
    await redis.set('conv:sip:nonce-secret', randomBytes(32).toString('hex'), { NX: true });
    const registrar = startRegistrar(registrarConfig, {
      stack: sip,
      redis,
      credentialStore: endpointCredentials,
      hostedDomains,
      clock: systemClock,
      logger,
      metrics: registry,
      nonceSecret: (await redis.get('conv:sip:nonce-secret')) ?? undefined,
    });
    closers.push(() => registrar.close());
    sipRegistrar = registrar.registrar;

    // Calls: every audio packet of a call goes through the media engine's worker threads (prompts
    // from the setup's espeak-ng cache); the call layer joins callers through the meetings API.
    const engine = await createMediaEngine(mediaEngineConfig, { logger: logger.child({ component: 'media-engine' }), registry, prompts: { dir: promptCacheDir() } });
    closers.push(() => engine.close());
    const endpointEvidence = registeredEndpointVerifier({
      liveBindings: async (aor) => registrar.registrar.contactsFor(aor),
      endpointCompany: async (address) => (await admin.repos.getEndpointByAddress(address))?.companyId ?? null,
    });
    const calls = new CallService(
      {
        stack: sip,
        meetings,
        engine,
        endpoints: {
          async identify(address, source) {
            const endpoint = await admin.repos.getEndpointByAddress(address);
            if (!endpoint) return null;
            const live = await endpointEvidence.isRegisteredEndpointOf({ endpointAddress: address, source }, endpoint.companyId);
            return live ? { address, displayName: endpoint.name, tier: endpoint.tier, bandwidthKbps: endpoint.bandwidthKbps } : null;
          },
        },
        domains: {
          async isVerifiedCustomerDomain(domain) {
            const status = await admin.repos.domainStatus(domain);
            return status.hosted && status.verified;
          },
        },
        records: { recordRefusedCall: (call) => admin.calls.recordRefusedCall(call) },
        clock: systemClock,
        logger: logger.child({ component: 'calls' }),
        registry,
        config: callsConfig,
      },
      callsConfig.defaultDomain ?? admin.config.defaultDomain,
    );
    // Runs before the engine and the stack close (closers run in reverse): BYE to every call first.
    closers.push(() => calls.stop());

    let signaling: SignalingServer | undefined;
    const signalingMetrics = registerMeetingMetrics(registry, meetings, media, () => signaling);
    signaling = new SignalingServer({
      server: http.app.server,
      meetings,
      config: config.signaling,
      reconnectGraceMs: config.meetings.reconnectGraceMs,
      logger: logger.child({ component: 'signaling' }),
      clientAddress: (req) => http.proxies.clientAddress(req),
      observer: {
        requestHandled: (method, outcome) => signalingMetrics.requests.inc({ method, outcome }),
        protocolError: (type) => signalingMetrics.protocolErrors.inc({ type }),
        connectionRefused: (reason) => signalingMetrics.connectionsRefused.inc({ reason }),
      },
      iceConfig: turn.iceConfig,
      extraOrigins: [config.http.publicUrl, config.admin.publicBaseUrl].flatMap((u) => (u ? [new URL(u).origin] : [])),
    });
    closers.push(() => signaling?.close());
    await http.listen();

    let stopping: Promise<void> | undefined;
    return {
      http,
      pool,
      store,
      admin,
      meetings,
      sip,
      calls,
      turn,
      sipRegistrar: registrar.registrar,
      registry,
      url: http.publicUrl(),
      bootstrapToken: config.admin.bootstrapToken ? null : boot.token,
      operatorToken: boot.operatorToken,
      demoRooms,
      stop() {
        return (stopping ??= (async () => {
          // Drain: readiness turns 503 and no new sockets or joins are taken; running meetings
          // may finish within the grace period (less a margin for the closing steps).
          http.startDrain();
          signaling?.stopAccepting();
          meetings.stopAccepting();
          calls.stopAccepting();
          const drained = await meetings.idle(Math.max(0, config.shutdown.graceMs - 3_000));
          if (!drained) logger.warn({ meetings: meetings.meetingCount }, 'grace period over: ending the remaining meetings');
          await closeAll();
        })());
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
