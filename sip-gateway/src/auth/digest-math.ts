import { createHash } from 'node:crypto';

/** Digest algorithms we compute (RFC 7616 §3.3; MD5 keeps RFC 2617 clients working). */
export const DIGEST_ALGORITHMS = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

/** The hash an algorithm's stored HA1 is made with: "-sess" variants reuse the base HA1. */
export type DigestHashName = 'MD5' | 'SHA-256';

export function hashNameOf(algorithm: DigestAlgorithm): DigestHashName {
  return algorithm.startsWith('SHA-256') ? 'SHA-256' : 'MD5';
}

export function parseAlgorithm(value: string): DigestAlgorithm | undefined {
  const upper = value.toUpperCase();
  return DIGEST_ALGORITHMS.find((a) => a.toUpperCase() === upper);
}

/** Lower-case hex of H(data) over the UTF-8 bytes (RFC 7616 §3.4). */
export function digestHash(hash: DigestHashName, data: string): string {
  return createHash(hash === 'SHA-256' ? 'sha256' : 'md5')
    .update(data, 'utf8')
    .digest('hex');
}

/** H(username:realm:password): what a credential store may keep instead of the password. */
export function computeBaseHa1(hash: DigestHashName, username: string, realm: string, password: string): string {
  return digestHash(hash, `${username}:${realm}:${password}`);
}

export interface DigestResponseInput {
  algorithm: DigestAlgorithm;
  /** H(username:realm:password) made with the algorithm's hash. */
  baseHa1: string;
  nonce: string;
  /** nonce-count as sent: 8 hex digits. */
  nc: string;
  cnonce: string;
  qop: 'auth';
  method: string;
  uri: string;
}

/** request-digest for qop=auth (RFC 7616 §3.4.1, RFC 2617 §3.2.2.1). */
export function computeDigestResponse(input: DigestResponseInput): string {
  const hash = hashNameOf(input.algorithm);
  const ha1 = input.algorithm.endsWith('-sess')
    ? digestHash(hash, `${input.baseHa1}:${input.nonce}:${input.cnonce}`)
    : input.baseHa1;
  const ha2 = digestHash(hash, `${input.method}:${input.uri}`);
  return digestHash(hash, `${ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`);
}
