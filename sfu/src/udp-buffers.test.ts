import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostUdpReceiveBufferBytes, RECOMMENDED_UDP_RECEIVE_BUFFER_BYTES, udpReceiveBufferAdvice } from './udp-buffers.js';

describe('UDP receive buffer advice', () => {
  it('warns about a stock kernel default and names the sysctl to raise', () => {
    const advice = udpReceiveBufferAdvice(212_992);
    expect(advice).toContain('208 KiB');
    expect(advice).toContain(`net.core.rmem_default=${RECOMMENDED_UDP_RECEIVE_BUFFER_BYTES}`);
  });

  it('says nothing when the buffer is big enough or unknown', () => {
    expect(udpReceiveBufferAdvice(RECOMMENDED_UDP_RECEIVE_BUFFER_BYTES)).toBeUndefined();
    expect(udpReceiveBufferAdvice(null)).toBeUndefined();
  });

  it('reads the value from procfs and treats an unreadable or bad file as unknown', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmem-'));
    const file = path.join(dir, 'rmem_default');
    fs.writeFileSync(file, '4194304\n');
    expect(hostUdpReceiveBufferBytes(file)).toBe(4_194_304);
    fs.writeFileSync(file, 'garbage\n');
    expect(hostUdpReceiveBufferBytes(file)).toBeNull();
    expect(hostUdpReceiveBufferBytes(path.join(dir, 'missing'))).toBeNull();
    fs.rmSync(dir, { recursive: true });
  });
});
