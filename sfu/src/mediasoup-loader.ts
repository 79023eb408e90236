import type * as Mediasoup from 'mediasoup';

let loaded: { bin: string; mod: typeof Mediasoup } | undefined;

/**
 * mediasoup reads MEDIASOUP_WORKER_BIN once, when it is first imported, so the binary must be
 * chosen before that import. Every part of Convene gets mediasoup through here.
 */
export async function loadMediasoup(workerBin: string): Promise<typeof Mediasoup> {
  if (loaded) {
    if (loaded.bin !== workerBin) {
      throw new Error(`mediasoup already loaded with worker ${loaded.bin}; cannot switch to ${workerBin} in one process`);
    }
    return loaded.mod;
  }
  process.env.MEDIASOUP_WORKER_BIN = workerBin;
  const mod = await import('mediasoup');
  loaded = { bin: workerBin, mod };
  return mod;
}
