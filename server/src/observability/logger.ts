import pino, { type Logger } from 'pino';
import type { LogConfig } from './config.js';

/**
 * The process's root logger. Subsystems receive children of it with their ids bound
 * (`logger.child({ room, participant })`) and never create their own.
 */
export function createLogger(config: LogConfig, base: Record<string, unknown> = {}): Logger {
  const pretty = config.pretty === 'auto' ? Boolean(process.stdout.isTTY) : config.pretty;
  return pino({
    level: config.level,
    base: { ...base, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  });
}
