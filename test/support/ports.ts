import dgram from 'node:dgram';
import net from 'node:net';

/**
 * Ports for test peers that cannot take port 0 themselves (turnserver, dnsmasq, baresip bind UDP and
 * TCP on one number). Linux's ephemeral range overlaps the node's media ports (WebRTC 44444+, RTC
 * 45000-49999, TURN relays 50000-54999), where a worker or an outgoing connection may take the port
 * between our probe and the peer's bind: those are skipped.
 */
const isNodeMediaPort = (port: number): boolean => port >= 44_000 && port <= 55_000;

/** A port free for UDP and TCP on 127.0.0.1 (turnserver listens on both and cannot take port 0). */
export async function freeUdpTcpPort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    const port = udp.address().port;
    const tcp = net.createServer();
    const tcpFree = await new Promise<boolean>((r) => {
      tcp.once('error', () => r(false));
      tcp.listen(port, '127.0.0.1', () => tcp.close(() => r(true)));
    });
    await new Promise<void>((r) => udp.close(() => r()));
    if (tcpFree && !isNodeMediaPort(port)) return port;
  }
  throw new Error('no port free for both UDP and TCP outside the media ranges');
}

