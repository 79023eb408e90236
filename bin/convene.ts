#!/usr/bin/env node
// Composition root: config → logger → service (store → SFU → HTTP) → signal handling.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../common/src/index.js';
import { createLogger } from '../server/src/index.js';
import { loadConveneConfig, packageRoot } from './config.js';
import { startService, type RunningService } from './service.js';

const USAGE = `usage: convene [--config FILE]

Starts a single Convene node. Settings: config/default.yaml, overridden by FILE
(or $CONVENE_CONFIG) and by CONVENE_* environment variables.`;

function fail(message: string, code: number): never {
  process.stderr.write(`convene: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({ options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`, 2);
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }

  let config;
  try {
    config = loadConveneConfig(args.config ?? process.env.CONVENE_CONFIG);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }

  const { version } = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  const logger = createLogger(config.log, { service: 'convene' });

  let service: RunningService;
  try {
    service = await startService(config, logger, version);
  } catch (err) {
    logger.fatal({ reason: (err as Error).message }, 'start-up failed');
    logger.flush();
    fail(`start-up failed: ${(err as Error).message}`, 1);
  }
  if (service.bootstrapToken) {
    // Shown once: the store keeps only its hash.
    logger.warn({ token: service.bootstrapToken }, 'first start: partner admin API token (shown once; store it now)');
  }
  if (service.operatorToken) {
    logger.warn({ token: service.operatorToken }, 'first start: service operator API token (shown once; store it now)');
  }
  for (const room of service.demoRooms) {
    logger.info({ address: room.address, numericId: room.numericId, hostPin: room.hostPin, guestPin: room.guestPin }, `demo room: ${room.description}`);
  }
  logger.info({ url: service.url, workers: service.pool.size }, `Convene is ready: open ${service.url}`);

  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    signalled = true;
    logger.info({ signal, graceMs: config.shutdown.graceMs }, 'draining: no new work accepted');
    const force = setTimeout(() => {
      logger.error('grace period expired with work still running; forcing exit');
      process.exit(1);
    }, config.shutdown.graceMs);
    force.unref();
    service
      .stop()
      .then(() => {
        logger.info('stopped cleanly');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      });
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception; stopping');
    void service.stop().finally(() => process.exit(1));
  });
}

await main();
