import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, envOverrides, loadConfig } from './config.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const schema = z.strictObject({
  http: z.strictObject({ port: z.number().int().min(0).max(65535), host: z.string() }),
  store: z.strictObject({ redisUrl: z.string().nullable() }),
});
const defaults = path.join(dir, 'defaults.yaml');
fs.writeFileSync(defaults, 'http:\n  port: 8080\n  host: 0.0.0.0\nstore:\n  redisUrl: null\n');

function write(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

describe('loadConfig', () => {
  it('layers defaults, then the operator file, then CONVENE_* variables', () => {
    const file = write('over.yaml', 'http:\n  port: 9000\n');
    const cfg = loadConfig({ schema, defaultsFile: defaults, file, env: { CONVENE_HTTP__HOST: '127.0.0.1' } });
    expect(cfg).toEqual({ http: { port: 9000, host: '127.0.0.1' }, store: { redisUrl: null } });
  });

  it('turns words split by _ into camelCase keys and reads values as YAML scalars', () => {
    expect(envOverrides({ CONVENE_STORE__REDIS_URL: 'redis://h:6379', CONVENE_HTTP__PORT: '81', OTHER: 'x' })).toEqual({
      store: { redisUrl: 'redis://h:6379' },
      http: { port: 81 },
    });
  });

  it('names the key and the problem for a bad value', () => {
    const file = write('bad.yaml', 'http:\n  port: eighty\n');
    expect(() => loadConfig({ schema, defaultsFile: defaults, file, env: {} })).toThrow(/http\.port: .*number/i);
  });

  it('names an unknown (misspelt) key', () => {
    const file = write('typo.yaml', 'http:\n  prot: 80\n');
    try {
      loadConfig({ schema, defaultsFile: defaults, file, env: {} });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.join('\n')).toMatch(/http.*prot/);
    }
  });

  it('reports a missing file and broken YAML by file name', () => {
    expect(() => loadConfig({ schema, defaultsFile: defaults, file: path.join(dir, 'nope.yaml'), env: {} })).toThrow(/nope\.yaml: cannot read/);
    const broken = write('broken.yaml', 'http: [unclosed\n');
    expect(() => loadConfig({ schema, defaultsFile: defaults, file: broken, env: {} })).toThrow(/broken\.yaml: not valid YAML/);
  });
});
