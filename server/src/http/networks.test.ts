import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { NetworkList, ProxyTrust } from './networks.js';

const request = (remoteAddress: string, xff?: string) =>
  ({ socket: { remoteAddress }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

describe('NetworkList', () => {
  it('matches addresses and CIDR blocks of both families, IPv4 peers on dual-stack sockets included', () => {
    const list = new NetworkList(['10.0.0.0/8', '192.0.2.7', 'fd00::/8']);
    expect(list.has('10.255.0.1')).toBe(true);
    expect(list.has('::ffff:10.1.2.3')).toBe(true);
    expect(list.has('192.0.2.7')).toBe(true);
    expect(list.has('192.0.2.8')).toBe(false);
    expect(list.has('fd12::1')).toBe(true);
    expect(list.has('fe80::1')).toBe(false);
    expect(list.has('not-an-address')).toBe(false);
    expect(new NetworkList([]).has('127.0.0.1')).toBe(false);
  });
});

describe('ProxyTrust.clientAddress', () => {
  const trust = new ProxyTrust(['127.0.0.1', '10.0.0.0/8']);

  it('believes X-Forwarded-For hop by hop from the right while the sender is a trusted proxy', () => {
    expect(trust.clientAddress(request('127.0.0.1', '203.0.113.5'))).toBe('203.0.113.5');
    expect(trust.clientAddress(request('::ffff:127.0.0.1', '203.0.113.5, 10.0.0.2'))).toBe('203.0.113.5');
    // What the client wrote itself (left of its real address) is never reached.
    expect(trust.clientAddress(request('127.0.0.1', '10.9.9.9, 198.51.100.1, 10.0.0.2'))).toBe('198.51.100.1');
    // Garbage where an address should be: the last address a trusted proxy vouched for.
    expect(trust.clientAddress(request('127.0.0.1', 'nonsense'))).toBe('127.0.0.1');
  });

  it('ignores the header from anyone else', () => {
    expect(trust.clientAddress(request('198.51.100.9', '10.0.0.5'))).toBe('198.51.100.9');
    expect(new ProxyTrust([]).clientAddress(request('127.0.0.1', '203.0.113.5'))).toBe('127.0.0.1');
  });
});
