import os from 'node:os';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock } from '../../../common/src/index.js';
import type { TurnConfig } from './config.js';
import { EmbeddedTurnServer } from './embedded-turnserver.js';
import { iceConfigSource, type IceConfigSource } from './ice-servers.js';

/** Shared by every node, so credentials from any node work on every node's TURN server. */
export const TURN_SECRET_KEY = 'conv:turn:secret';

export interface TurnService {
  /** ICE servers and policy for one session (empty when no TURN is configured). */
  iceConfig: IceConfigSource;
  embedded: EmbeddedTurnServer | undefined;
  /** The TURN URLs browsers are given. */
  urls: string[];
  close(): Promise<void>;
}

export interface TurnDeps {
  /** Only `set NX` and `get` are used. */
  redis: { set(key: string, value: string, opts: { NX: true }): Promise<unknown>; get(key: string): Promise<string | null> };
  /** The address(es) browsers send media to on this node's SFU: the embedded relay may reach only these. */
  sfuAddresses: string[];
  clock: Clock;
  logger: Logger;
  registry: Registry;
}

/**
 * TURN for browsers behind NAT or UDP-blocking firewalls: an optional embedded coturn and/or
 * external TURN URLs, with per-session time-limited credentials. Nothing starts unless configured.
 */
export async function startTurn(config: TurnConfig, deps: TurnDeps): Promise<TurnService> {
  const log = deps.logger.child({ component: 'turn' });
  const urls = [...config.urls];
  if (!config.embedded.enabled && urls.length === 0) {
    return { iceConfig: iceConfigSource({ urls, secret: '', ttlSeconds: 0, forceRelay: false, clock: deps.clock }), embedded: undefined, urls, close: async () => undefined };
  }
  const secret = config.secret ?? (await sharedSecret(deps.redis));
  let embedded: EmbeddedTurnServer | undefined;
  if (config.embedded.enabled) {
    const e = config.embedded;
    embedded = new EmbeddedTurnServer({ config: e, secret, sfuAddresses: deps.sfuAddresses, logger: log });
    await embedded.start();
    const host = urlHost(e.announcedAddress ?? announceable(e.listenIp));
    urls.unshift(`turn:${host}:${e.port}?transport=udp`, `turn:${host}:${e.port}?transport=tcp`);
    registerTurnMetrics(deps.registry, embedded);
  }
  log.info({ urls, ttlSeconds: config.credentialTtlSeconds, forceRelay: config.forceRelay }, 'TURN servers handed to browsers');
  return {
    iceConfig: iceConfigSource({ urls, secret, ttlSeconds: config.credentialTtlSeconds, forceRelay: config.forceRelay, clock: deps.clock }),
    embedded,
    urls,
    close: async () => embedded?.stop(),
  };
}

async function sharedSecret(redis: TurnDeps['redis']): Promise<string> {
  await redis.set(TURN_SECRET_KEY, randomBytes(32).toString('base64url'), { NX: true });
  const secret = await redis.get(TURN_SECRET_KEY);
  if (!secret) throw new Error(`the TURN secret (${TURN_SECRET_KEY}) could not be read back from the store`);
  return secret;
}

/** A wildcard listen address cannot be handed out: use this machine's first non-loopback IPv4. */
function announceable(listenIp: string): string {
  if (listenIp !== '0.0.0.0' && listenIp !== '::') return listenIp;
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

const urlHost = (host: string) => (net.isIPv6(host) ? `[${host}]` : host);

function registerTurnMetrics(registry: Registry, turn: EmbeddedTurnServer): void {
  new Gauge({
    name: 'convene_turn_up',
    help: '1 while the embedded TURN server (coturn) runs and answered its start-up probe',
    registers: [registry],
    collect() {
      this.set(turn.up ? 1 : 0);
    },
  });
  const restarts = new Counter({ name: 'convene_turn_restarts_total', help: 'Embedded TURN server restarts after it died', registers: [registry] });
  const allocations = new Counter({
    name: 'convene_turn_allocations_total',
    help: 'TURN allocations (relay addresses) the embedded TURN server granted',
    registers: [registry],
  });
  turn.on('restarting', () => restarts.inc());
  turn.on('allocation', () => allocations.inc());
}
