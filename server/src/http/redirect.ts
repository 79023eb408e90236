import http from 'node:http';
import type { AddressInfo } from 'node:net';

// A hostname or a bracketed IPv6 literal, optionally with a port: nothing else goes into Location.
const HOST_HEADER = /^(?<name>[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * Where a plain-HTTP request should go: the same path on the HTTPS origin. With a configured
 * public URL that origin is fixed; otherwise the request's host name with the HTTPS port.
 */
export function httpsLocation(req: http.IncomingMessage, httpsPort: number, publicUrl: string | null): string | null {
  const path = req.url?.startsWith('/') ? req.url : '/';
  if (publicUrl) {
    const u = new URL(publicUrl);
    if (u.protocol === 'https:') return `${u.origin}${path}`;
  }
  const name = HOST_HEADER.exec(req.headers.host ?? '')?.groups?.name;
  if (!name) return null;
  return `https://${name}${httpsPort === 443 ? '' : `:${httpsPort}`}${path}`;
}

/** Answers every request with a 301 to HTTPS (a 400 when there is no usable Host header). */
export class HttpsRedirectServer {
  private readonly server: http.Server;

  constructor(httpsPort: () => number, publicUrl: string | null) {
    this.server = http.createServer((req, res) => {
      const location = httpsLocation(req, httpsPort(), publicUrl);
      if (!location) {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end('Use HTTPS.\n');
        return;
      }
      res.writeHead(301, { location, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`Moved to ${location}\n`);
    });
    // Nothing here is worth a long-lived connection.
    this.server.keepAliveTimeout = 1_000;
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 10_000;
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  address(): AddressInfo | null {
    return this.server.address() as AddressInfo | null;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
