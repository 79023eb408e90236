import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadConfig } from '../common/src/index.js';
import { httpConfigSchema, logConfigSchema, meetingsConfigSchema, signalingConfigSchema, storeConfigSchema, turnConfigSchema, turnPortConflicts } from '../server/src/index.js';
import { AdminConfigSchema } from '../server/src/admin/index.js';
import { sfuConfigSchema } from '../sfu/src/index.js';
import { callsConfigSchema, mediaEngineConfigSchema, registrarConfigSchema, sipConfigSchema } from '../sip-gateway/src/index.js';

/** The whole service's settings; each section's schema lives with the code that reads it. */
export const conveneConfigSchema = z.strictObject({
  log: logConfigSchema,
  http: httpConfigSchema,
  store: storeConfigSchema,
  sfu: sfuConfigSchema,
  meetings: meetingsConfigSchema,
  signaling: signalingConfigSchema,
  turn: turnConfigSchema,
  admin: AdminConfigSchema,
  sip: sipConfigSchema.extend({ registrar: registrarConfigSchema, calls: callsConfigSchema, media: mediaEngineConfigSchema }).strict(),
  demo: z.strictObject({
    /** On the very first start, create a demo company with three rooms to join. */
    seed: z.boolean(),
  }),
  shutdown: z.strictObject({
    /** How long SIGTERM/SIGINT waits for work to finish before forcing exit. */
    graceMs: z.number().int().min(0).max(600_000),
  }),
}).superRefine((c, ctx) => {
  const { basePort } = c.sfu.webRtcServer;
  const webRtcPorts: [number, number] | null = basePort === 0 ? null : [basePort, basePort + (c.sfu.workers || os.availableParallelism()) - 1];
  for (const [path, message] of turnPortConflicts(c.turn, { rtcMinPort: c.sfu.rtcMinPort, rtcMaxPort: c.sfu.rtcMaxPort, webRtcPorts })) {
    ctx.addIssue({ code: 'custom', path, message });
  }
});
export type ConveneConfig = z.output<typeof conveneConfigSchema>;

/** The package root, whether running from source (bin/) or from the build (dist/bin/). */
export const packageRoot = (() => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.basename(path.dirname(here)) === 'dist' ? path.resolve(here, '..', '..') : path.resolve(here, '..');
})();

export const defaultsFile = path.join(packageRoot, 'config', 'default.yaml');

export function loadConveneConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): ConveneConfig {
  return loadConfig({ schema: conveneConfigSchema, defaultsFile, file, env });
}
