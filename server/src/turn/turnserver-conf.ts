import path from 'node:path';
import type { TurnConfig } from './config.js';

export type EmbeddedTurnConfig = TurnConfig['embedded'];

/**
 * The turnserver.conf Convene writes for its own coturn (never Debian's /etc/turnserver.conf or
 * its service unit). The secret goes in this file (mode 0600), not on the command line where
 * `ps` would show it.
 *
 * The relay may only reach `sfuAddresses` (this node's SFU media address) and the configured
 * extra peers: everything else is denied, so the TURN server cannot be used to reach other hosts
 * on the node's networks. Loopback peers stay refused unless `allowLoopbackPeers` (tests, laptop).
 */
export function turnserverConf(config: EmbeddedTurnConfig, secret: string, sfuAddresses: string[], dataDir: string): string {
  const allowed = [...new Set([...sfuAddresses, ...config.allowedPeerIps])];
  const lines = [
    '# Written by Convene at every start; edits are overwritten. See turn.embedded in config/default.yaml.',
    `listening-ip=${config.listenIp}`,
    `listening-port=${config.port}`,
    `min-port=${config.relayMinPort}`,
    `max-port=${config.relayMaxPort}`,
    ...(config.externalIp ? [`external-ip=${config.externalIp}`] : []),
    `realm=${config.realm}`,
    'use-auth-secret',
    `static-auth-secret=${secret}`,
    `user-quota=${config.allocationsPerCredential}`,
    'fingerprint',
    'no-cli',
    'no-tls',
    'no-dtls',
    'no-multicast-peers',
    'no-software-attribute',
    ...(config.allowLoopbackPeers ? ['allow-loopback-peers'] : []),
    'denied-peer-ip=0.0.0.0-255.255.255.255',
    'denied-peer-ip=::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    ...allowed.map((ip) => `allowed-peer-ip=${ip}`),
    `userdb=${path.join(dataDir, 'turndb')}`,
    `pidfile=${path.join(dataDir, 'turnserver.pid')}`,
    'log-file=stdout',
    'simple-log',
    'verbose',
  ];
  return lines.join('\n') + '\n';
}
