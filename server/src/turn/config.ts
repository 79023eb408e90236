import { z } from 'zod';

const port = z.number().int().min(1024).max(65535);
const turnUrl = z.string().regex(/^turns?:[^\s?]+(\?transport=(udp|tcp))?$/, 'must be a turn: or turns: URL, e.g. turn:turn.example.com:3478?transport=udp');

export const turnConfigSchema = z
  .strictObject({
    /** External TURN servers handed to browsers (all sharing `secret`); the embedded one is added when enabled. */
    urls: z.array(turnUrl).max(16),
    /** TURN REST shared secret (coturn `static-auth-secret`). null = generated once and kept in the store. */
    secret: z.string().min(16).max(256).nullable(),
    /** Lifetime of the credentials handed out at hello; a relayed call cannot outlast it. */
    credentialTtlSeconds: z.number().int().min(60).max(7 * 86_400),
    /** Browsers use relayed candidates only (tests, checking a NAT path). */
    forceRelay: z.boolean(),
    embedded: z
      .strictObject({
        enabled: z.boolean(),
        turnserverBin: z.string().min(1),
        /** Generated turnserver.conf, its pid file and database live here. */
        dataDir: z.string().min(1),
        listenIp: z.union([z.ipv4(), z.ipv6()]),
        /** UDP and TCP port browsers reach the TURN server on. */
        port,
        /** Host or IP put in the TURN URL browsers get. null = listenIp, or this machine's first non-loopback IPv4 for 0.0.0.0. */
        announcedAddress: z.string().min(1).nullable(),
        /** coturn `external-ip` (public/private mapping) when the node is behind 1:1 NAT. */
        externalIp: z.string().min(1).nullable(),
        realm: z.string().min(1).max(128).regex(/^[A-Za-z0-9.-]+$/, 'must be a DNS-like name'),
        /** UDP ports coturn relays from (one per allocation). Must stay clear of the SFU's ports. */
        relayMinPort: port,
        relayMaxPort: port,
        /** Peers the relay may send to besides this node's own SFU media address (IPs or ranges a-b). */
        allowedPeerIps: z.array(z.string().min(1)).max(64),
        /** Concurrent allocations one credential (one browser session) may hold (coturn user-quota). */
        allocationsPerCredential: z.number().int().min(1).max(1000),
        /** Lets the relay reach 127.0.0.0/8 and ::1: only for tests and a single laptop. */
        allowLoopbackPeers: z.boolean(),
      })
      .refine((e) => e.relayMinPort < e.relayMaxPort, { message: 'must be below relayMaxPort', path: ['relayMinPort'] })
      .refine((e) => e.port < e.relayMinPort || e.port > e.relayMaxPort, { message: 'must lie outside relayMinPort..relayMaxPort', path: ['port'] }),
  })
  .refine((t) => t.urls.length === 0 || t.secret !== null, {
    message: 'external TURN servers (turn.urls) need the shared secret they were configured with',
    path: ['secret'],
  })
  .refine((t) => !t.forceRelay || t.embedded.enabled || t.urls.length > 0, {
    message: 'forcing relay needs a TURN server (turn.embedded.enabled or turn.urls)',
    path: ['forceRelay'],
  });
export type TurnConfig = z.output<typeof turnConfigSchema>;

/** Whether two inclusive port ranges overlap. */
export function rangesOverlap(a: [number, number], b: [number, number]): boolean {
  return a[0] <= b[1] && b[0] <= a[1];
}

/**
 * Port clashes between the embedded TURN server and the SFU (RTC range, WebRTC server ports),
 * as [config path, message] pairs; empty when none or when the embedded server is off.
 */
export function turnPortConflicts(
  turn: TurnConfig,
  sfu: { rtcMinPort: number; rtcMaxPort: number; webRtcPorts: [number, number] | null },
): [string[], string][] {
  const e = turn.embedded;
  if (!e.enabled) return [];
  const out: [string[], string][] = [];
  const relay: [number, number] = [e.relayMinPort, e.relayMaxPort];
  const rtc: [number, number] = [sfu.rtcMinPort, sfu.rtcMaxPort];
  const listen: [number, number] = [e.port, e.port];
  if (rangesOverlap(relay, rtc)) out.push([['turn', 'embedded', 'relayMinPort'], 'the relay range must lie outside sfu.rtcMinPort..sfu.rtcMaxPort']);
  if (sfu.webRtcPorts && rangesOverlap(relay, sfu.webRtcPorts)) {
    out.push([['turn', 'embedded', 'relayMinPort'], 'the relay range must lie outside the WebRTC server ports (sfu.webRtcServer.basePort + worker)']);
  }
  if (rangesOverlap(listen, rtc) || (sfu.webRtcPorts && rangesOverlap(listen, sfu.webRtcPorts))) {
    out.push([['turn', 'embedded', 'port'], 'must not be one of the SFU ports (rtcMinPort..rtcMaxPort, WebRTC server ports)']);
  }
  return out;
}
