import { describe, expect, it } from 'vitest';
import { loadConveneConfig } from './config.js';

// The turn section against the rest of the configuration (ports shared with the SFU).
describe('turn configuration', () => {
  const env = (vars: Record<string, string>) => ({ CONVENE_TURN__EMBEDDED__ENABLED: 'true', ...vars });

  it('ships with TURN off and a relay range clear of the SFU ports', () => {
    const config = loadConveneConfig(undefined, {});
    expect(config.turn.embedded.enabled).toBe(false);
    expect(config.turn.urls).toEqual([]);
    expect(config.turn.embedded.allowLoopbackPeers).toBe(false);
    expect(loadConveneConfig(undefined, env({})).turn.embedded.port).toBe(3478);
  });

  it('refuses a relay range inside the SFU RTC range', () => {
    expect(() => loadConveneConfig(undefined, env({ CONVENE_TURN__EMBEDDED__RELAY_MIN_PORT: '49000', CONVENE_TURN__EMBEDDED__RELAY_MAX_PORT: '51000' }))).toThrow(
      /turn\.embedded\.relayMinPort.*sfu\.rtcMinPort/s,
    );
  });

  it('refuses a relay range over the WebRTC server ports', () => {
    expect(() =>
      loadConveneConfig(undefined, env({ CONVENE_SFU__WORKERS: '4', CONVENE_TURN__EMBEDDED__RELAY_MIN_PORT: '44000', CONVENE_TURN__EMBEDDED__RELAY_MAX_PORT: '44445' })),
    ).toThrow(/WebRTC server ports/);
  });

  it('refuses a listening port that is one of the SFU ports', () => {
    expect(() => loadConveneConfig(undefined, env({ CONVENE_TURN__EMBEDDED__PORT: '44444' }))).toThrow(/turn\.embedded\.port/);
  });

  it('needs the shared secret for external TURN servers, and a TURN server for forceRelay', () => {
    expect(() => loadConveneConfig(undefined, { CONVENE_TURN__URLS: '["turn:turn.example.com:3478"]' })).toThrow(/turn\.secret/);
    expect(() => loadConveneConfig(undefined, { CONVENE_TURN__FORCE_RELAY: 'true' })).toThrow(/turn\.forceRelay/);
    const ok = loadConveneConfig(undefined, { CONVENE_TURN__URLS: '["turns:turn.example.com:5349?transport=tcp"]', CONVENE_TURN__SECRET: 'an-external-shared-secret' });
    expect(ok.turn.urls).toEqual(['turns:turn.example.com:5349?transport=tcp']);
  });
});
