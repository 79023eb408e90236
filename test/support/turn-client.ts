/**
 * A minimal TURN client (RFC 8656 over UDP) for tests: Allocate with long-term credentials, then
 * CreatePermission. Enough to ask a real coturn whether it accepts a credential and which peers
 * it lets a relay reach.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';

const COOKIE = 0x2112a442;
const ATTR = {
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  XOR_PEER_ADDRESS: 0x0012,
  REALM: 0x0014,
  NONCE: 0x0015,
  XOR_RELAYED_ADDRESS: 0x0016,
  REQUESTED_TRANSPORT: 0x0019,
} as const;
const METHOD = { ALLOCATE: 0x0003, CREATE_PERMISSION: 0x0008 } as const;

interface Attr {
  type: number;
  value: Buffer;
}

interface StunMessage {
  type: number;
  attrs: Attr[];
}

export type TurnResult = { ok: true; relayedPort?: number } | { ok: false; errorCode: number; reason: string };

function encode(type: number, txId: Buffer, attrs: Attr[], integrityKey?: Buffer): Buffer {
  const body = (list: Attr[]) =>
    Buffer.concat(
      list.map((a) => {
        const head = Buffer.alloc(4);
        head.writeUInt16BE(a.type, 0);
        head.writeUInt16BE(a.value.length, 2);
        return Buffer.concat([head, a.value, Buffer.alloc((4 - (a.value.length % 4)) % 4)]);
      }),
    );
  const header = (length: number) => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(type, 0);
    h.writeUInt16BE(length, 2);
    h.writeUInt32BE(COOKIE, 4);
    txId.copy(h, 8);
    return h;
  };
  const payload = body(attrs);
  if (!integrityKey) return Buffer.concat([header(payload.length), payload]);
  // MESSAGE-INTEGRITY covers the header (with the length including this attribute) and all before it.
  const hmac = createHmac('sha1', integrityKey).update(Buffer.concat([header(payload.length + 24), payload])).digest();
  const mi = body([{ type: ATTR.MESSAGE_INTEGRITY, value: hmac }]);
  return Buffer.concat([header(payload.length + 24), payload, mi]);
}

function decode(msg: Buffer): StunMessage {
  const attrs: Attr[] = [];
  let off = 20;
  while (off + 4 <= msg.length) {
    const type = msg.readUInt16BE(off);
    const len = msg.readUInt16BE(off + 2);
    attrs.push({ type, value: msg.subarray(off + 4, off + 4 + len) });
    off += 4 + len + ((4 - (len % 4)) % 4);
  }
  return { type: msg.readUInt16BE(0), attrs };
}

const attr = (m: StunMessage, type: number) => m.attrs.find((a) => a.type === type)?.value;

function xorAddress(ip: string, port: number): Buffer {
  const v = Buffer.alloc(8);
  v.writeUInt8(0x01, 1); // IPv4
  v.writeUInt16BE(port ^ (COOKIE >>> 16), 2);
  const addr = ip.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
  v.writeUInt32BE((addr ^ COOKIE) >>> 0, 4);
  return v;
}

function resultOf(m: StunMessage): TurnResult {
  if ((m.type & 0x0110) === 0x0100) {
    const relayed = attr(m, ATTR.XOR_RELAYED_ADDRESS);
    return { ok: true, ...(relayed ? { relayedPort: relayed.readUInt16BE(2) ^ (COOKIE >>> 16) } : {}) };
  }
  const err = attr(m, ATTR.ERROR_CODE);
  if (!err) return { ok: false, errorCode: 0, reason: 'no ERROR-CODE' };
  return { ok: false, errorCode: (err.readUInt8(2) & 0x7) * 100 + err.readUInt8(3), reason: err.subarray(4).toString() };
}

/** One UDP association with a TURN server, holding at most one allocation. */
export class TurnTestClient {
  private readonly socket = dgram.createSocket('udp4');
  private realm = '';
  private nonce: Buffer = Buffer.alloc(0);

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly username: string,
    private readonly password: string,
  ) {}

  private request(type: number, attrs: Attr[], authenticated: boolean, timeoutMs = 2000): Promise<StunMessage> {
    const txId = randomBytes(12);
    const all = authenticated
      ? [
          ...attrs,
          { type: ATTR.USERNAME, value: Buffer.from(this.username) },
          { type: ATTR.REALM, value: Buffer.from(this.realm) },
          { type: ATTR.NONCE, value: this.nonce },
        ]
      : attrs;
    const key = authenticated ? createHash('md5').update(`${this.username}:${this.realm}:${this.password}`).digest() : undefined;
    const packet = encode(type, txId, all, key);
    return new Promise<StunMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.off('message', onMessage);
        reject(new Error(`no answer from ${this.host}:${this.port}`));
      }, timeoutMs);
      const onMessage = (msg: Buffer) => {
        if (msg.length < 20 || !msg.subarray(8, 20).equals(txId)) return;
        clearTimeout(timer);
        this.socket.off('message', onMessage);
        resolve(decode(msg));
      };
      this.socket.on('message', onMessage);
      this.socket.send(packet, this.port, this.host);
    });
  }

  /** Allocate a UDP relay: first unauthenticated (401 brings realm and nonce), then with the credential. */
  async allocate(): Promise<TurnResult> {
    const transport = [{ type: ATTR.REQUESTED_TRANSPORT, value: Buffer.from([17, 0, 0, 0]) }];
    const challenge = await this.request(METHOD.ALLOCATE, transport, false);
    const first = resultOf(challenge);
    if (first.ok || first.errorCode !== 401) return first;
    this.realm = attr(challenge, ATTR.REALM)?.toString() ?? '';
    this.nonce = attr(challenge, ATTR.NONCE) ?? Buffer.alloc(0);
    return resultOf(await this.request(METHOD.ALLOCATE, transport, true));
  }

  /** Asks the server to let the relay reach `ip` (403 when the server forbids that peer). */
  async createPermission(ip: string): Promise<TurnResult> {
    return resultOf(await this.request(METHOD.CREATE_PERMISSION, [{ type: ATTR.XOR_PEER_ADDRESS, value: xorAddress(ip, 0) }], true));
  }

  close(): void {
    this.socket.close();
  }
}

export { freeUdpTcpPort } from './ports.js';

/** A relay port window below Linux's ephemeral range, so it never holds a port-0 listener. */
export function relayPortWindow(size = 200): { relayMinPort: number; relayMaxPort: number } {
  const start = 20_000 + Math.floor(Math.random() * 50) * size;
  return { relayMinPort: start, relayMaxPort: start + size - 1 };
}
