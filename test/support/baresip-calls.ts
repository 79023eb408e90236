/**
 * A Convene node for a test file whose callers are real baresip phones or room systems
 * (test/support/baresip-caller): a temporary folder for their homes and tones, the node started
 * before the file's tests, and every caller, the node and the folder gone after them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startBaresipCaller, type BaresipCaller, type BaresipCallerOptions } from './baresip-caller.js';
import { startServiceFixture, type ServiceFixture } from './service-fixture.js';

export interface BaresipCallsOptions {
  /** Prefix of the temporary folder's name. */
  name: string;
  /** SIP over TLS as well as UDP (a self-signed certificate in the folder): for SRTP callers. */
  tls?: boolean;
  /** Runs first in the file's setup (e.g. building the web app the node serves). */
  before?: () => Promise<unknown>;
  /** For the setup (the node, and `before`). */
  timeoutMs?: number;
}

export interface BaresipCalls {
  readonly f: ServiceFixture;
  /** The file's temporary folder: tones and callers' homes. */
  readonly dir: string;
  /** Where a caller dials a room's `address` over TLS (needs `tls`): its user part at the node's TLS port. */
  tlsTarget(address: string): string;
  /** Starts a baresip caller in `dir`, stopped after the file's tests. */
  startCaller(opts: Omit<BaresipCallerOptions, 'dir'>): Promise<BaresipCaller>;
}

export function useBaresipCalls(opts: BaresipCallsOptions): BaresipCalls {
  let fixture: ServiceFixture | undefined;
  let folder: string | undefined;
  const callers: BaresipCaller[] = [];
  beforeAll(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), opts.name));
    await opts.before?.();
    fixture = await startServiceFixture(
      opts.tls
        ? {
            sip: {
              transports: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }, { protocol: 'tls', host: '127.0.0.1', port: 0 }],
              selfSignedCertDir: path.join(folder, 'cert'),
            },
          }
        : {},
    );
  }, opts.timeoutMs ?? 60_000);
  afterAll(async () => {
    for (const c of callers) await c.stop();
    await fixture?.stop();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });
  const calls: BaresipCalls = {
    get f(): ServiceFixture {
      if (!fixture) throw new Error('the service fixture starts in beforeAll');
      return fixture;
    },
    get dir(): string {
      if (!folder) throw new Error('the folder is made in beforeAll');
      return folder;
    },
    tlsTarget(address) {
      const tlsPort = calls.f.service.sip.transports.find((t) => t.protocol === 'tls')!.local.port;
      return `sip:${address.split('@')[0]}@127.0.0.1:${tlsPort};transport=tls`;
    },
    async startCaller(callerOpts) {
      const c = await startBaresipCaller({ dir: calls.dir, ...callerOpts });
      callers.push(c);
      return c;
    },
  };
  return calls;
}
