/**
 * Loading the native udp_io addon (sip-gateway/native/udp_io.c, built by scripts/setup.mjs into
 * sip-gateway/native/build/). Looked up from this file upwards, so the same code finds it from
 * the TypeScript sources and from the compiled dist/ tree.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's functions, as udp_io.c defines them. Per-packet calls return -errno instead of throwing. */
export interface UdpIoAddon {
  readonly META_WORDS: number;
  open(ip: string, port: number, id: number): { fd: number; port: number };
  close(fd: number): void;
  connect(fd: number, ip: string, port: number): number;
  disconnect(fd: number): number;
  send(fd: number, bytes: Uint8Array): number;
  sendTo(fd: number, bytes: Uint8Array, ip: string, port: number): number;
  drain(out: Uint8Array, meta: Int32Array): number;
  ntop(meta: Int32Array, index: number): string;
  /** Sent datagrams that drains found refused (ICMP port unreachable), in this thread so far. */
  refused(): number;
}

export const ADDON_RELATIVE_PATH = path.join('sip-gateway', 'native', 'build', 'udp_io.node');

/** Where the built addon is: $CONVENE_UDP_IO_ADDON, else the first sip-gateway/native/build/udp_io.node above this file. */
export function findUdpIoAddon(): string | null {
  const fromEnv = process.env.CONVENE_UDP_IO_ADDON;
  if (fromEnv) return fs.existsSync(fromEnv) ? fromEnv : null;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = path.join(dir, ADDON_RELATIVE_PATH);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

/** Loads the addon into this thread (each worker thread gets its own instance: sockets, epoll set). */
export function loadUdpIoAddon(): { addon: UdpIoAddon } | { error: string } {
  if (process.platform !== 'linux') return { error: `udp_io is Linux-only (this is ${process.platform})` };
  const file = findUdpIoAddon();
  if (!file) return { error: `the udp_io addon is not built (${ADDON_RELATIVE_PATH}; scripts/setup.mjs builds it)` };
  try {
    return { addon: createRequire(import.meta.url)(file) as UdpIoAddon };
  } catch (err) {
    return { error: `the udp_io addon at ${file} did not load: ${(err as Error).message}` };
  }
}
