/** Shapes shared by the transports and the layer above them. */
import type { ParseFailure, SipMessage } from '../message/index.js';

export type TransportProtocol = 'udp' | 'tcp' | 'tls';

export interface HostPort {
  address: string;
  port: number;
}

/** Where to send: protocol plus an IP address (no DNS at this layer) and port. */
export interface Endpoint extends HostPort {
  protocol: TransportProtocol;
}

/** The path a message arrived on; responses to a request go back along it (RFC 3261 §18.2.2). */
export interface Flow {
  protocol: TransportProtocol;
  local: HostPort;
  remote: HostPort;
  /** Set for TCP/TLS: the connection the message came on. */
  connectionId?: string;
}

export interface ListenSpec {
  protocol: TransportProtocol;
  /** IP address to bind, e.g. "0.0.0.0", "::", "127.0.0.1", "::1". */
  host: string;
  /** 0 asks the OS. */
  port: number;
}

export interface TlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  /** Trusted CAs for outgoing TLS; defaults to Node's store. */
  ca?: string | Buffer;
  /** Verify the peer certificate on outgoing connections (default true). */
  rejectUnauthorized?: boolean;
}

export function isReliable(p: TransportProtocol): boolean {
  return p !== 'udp';
}

export function defaultPort(p: TransportProtocol): number {
  return p === 'tls' ? 5061 : 5060;
}

/** What the transport layer tells the layer above (the transaction layer, via the stack). */
export interface TransportUser {
  onMessage(message: SipMessage, flow: Flow): void;
  /** A datagram/stream message failed to parse; `answered` says whether a 400 went back. */
  onParseError?(failure: ParseFailure, flow: Flow, answered: boolean): void;
}

/** A bound socket (UDP) or listener (TCP/TLS). */
export interface BoundTransport {
  readonly protocol: TransportProtocol;
  /** Actual local address/port after binding. */
  readonly local: HostPort;
  readonly family: 4 | 6;
}
