/**
 * Native UDP for the media worker threads (Linux): sockets read in one batch per 20 ms tick and
 * written with synchronous syscalls, instead of Node's per-datagram dgram path. See
 * sip-gateway/native/udp_io.c for why and how; README.md in this folder for the numbers.
 */
export type { UdpSocketLike, DatagramListener } from './types.js';
export { loadUdpIoAddon, findUdpIoAddon, ADDON_RELATIVE_PATH, type UdpIoAddon } from './addon.js';
export { UdpIo, type UdpIoCounters } from './udp-io.js';
export { NativeUdpSocket } from './native-socket.js';
