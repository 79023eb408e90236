import { describe, expect, it } from 'vitest';
import { loadConveneConfig } from './config.js';

describe('the shipped configuration', () => {
  it('config/default.yaml is valid on its own (what `npm start` uses with no overrides)', () => {
    const config = loadConveneConfig(undefined, {});
    expect(config.http.port).toBe(8080);
    expect(config.store.redisUrl).toBeNull();
    expect(config.sfu.webRtcServer.basePort).toBeLessThan(config.sfu.rtcMinPort);
  });

  it('accepts environment overrides on top of the defaults', () => {
    const config = loadConveneConfig(undefined, { CONVENE_SFU__WORKERS: '3', CONVENE_STORE__REDIS_URL: 'redis://127.0.0.1:6390' });
    expect(config.sfu.workers).toBe(3);
    expect(config.store.redisUrl).toBe('redis://127.0.0.1:6390');
  });
});
