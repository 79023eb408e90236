import { spawn } from 'node:child_process';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../../test/support/convene-process.js';
import { SupervisedChild, type SupervisedChildOptions } from './index.js';

// Real child processes (node itself, and a binary that does not exist) under the supervisor.
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

function supervise(overrides: Partial<SupervisedChildOptions>): SupervisedChild {
  return new SupervisedChild({
    name: 'test child',
    logger,
    restartDelayMs: 50,
    maxRestartDelayMs: 100,
    killAfterMs: 2_000,
    spawn: () => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }),
    waitReady: async () => undefined,
    cannotStart: (err) => `cannot start: ${err.message}`,
    exitedDuringStart: (code) => `exited (${code}) during start`,
    onReady: () => undefined,
    onExit: () => undefined,
    onRestarting: () => undefined,
    ...overrides,
  });
}

describe('SupervisedChild', () => {
  it('ends a child that never became ready, so it cannot linger beside the next attempt', async () => {
    let pid: number | undefined;
    const child = supervise({
      waitReady: async (c) => {
        pid = c.pid;
        throw new Error('not ready');
      },
    });
    await expect(child.start()).rejects.toThrow('not ready');
    expect(pid).toBeDefined();
    await expect.poll(() => processAlive(pid!), { timeout: 5_000 }).toBe(false);
  });

  it('words the error when the binary cannot be run', async () => {
    const child = supervise({ spawn: () => spawn('/nonexistent/convene-test-binary', [], { stdio: 'ignore' }), waitReady: () => new Promise(() => undefined) });
    await expect(child.start()).rejects.toThrow(/^cannot start: .*ENOENT/);
  });

  it('restarts a child that dies, and stop() ends it for good', async () => {
    const ready: number[] = [];
    const child = supervise({ onReady: (c) => ready.push(c.pid!) });
    await child.start();
    process.kill(ready[0]!, 'SIGKILL');
    await expect.poll(() => ready.length, { timeout: 5_000 }).toBe(2);
    expect(child.restarts).toBe(1);
    expect(await child.stop()).toBe(true);
    expect(processAlive(ready[1]!)).toBe(false);
    expect(await child.stop()).toBe(false);
  });
});
