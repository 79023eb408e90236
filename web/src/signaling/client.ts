import type {
  NotificationData,
  NotificationName,
  RequestData,
  RequestMethod,
  ResponseData,
} from '../../../server/src/protocol/index.js';
import { Emitter } from '../../../common/src/emitter.js';
import { SignalingError } from './errors.js';

/** The part of a WebSocket this client uses; the browser's WebSocket and the `ws` package both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: never) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: never) => void) | null;
}

export type NotificationEvents = { [K in NotificationName]: [NotificationData[K]] };

export interface SignalingClientOptions {
  url: string;
  /** Defaults to the browser's WebSocket; tests pass the `ws` package's. */
  createSocket?: (url: string) => WebSocketLike;
  /** How long a request may wait for its answer before it fails with `timeout`. */
  requestTimeoutMs?: number;
  /** How long opening the socket may take before `connect()` fails with `connection_failed`. */
  connectTimeoutMs?: number;
}

interface Pending {
  method: string;
  resolve: (data: unknown) => void;
  reject: (err: SignalingError) => void;
  timer: ReturnType<typeof setTimeout>;
}

const OPEN = 1;

/**
 * One signalling WebSocket: typed request/response matched by id, each with a timeout, and
 * server notifications re-emitted on `notifications`. `connect()` may be called again after
 * the socket closed (session resume); the emitters survive reconnects.
 */
export class SignalingClient {
  readonly notifications: Emitter<NotificationEvents>;
  /** `closed` fires once per socket when it closes for any reason other than `close()`. */
  readonly lifecycle: Emitter<{ closed: [{ code: number; reason: string }] }>;

  private socket: WebSocketLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly createSocket: (url: string) => WebSocketLike;

  constructor(private readonly options: SignalingClientOptions) {
    this.notifications = new Emitter<NotificationEvents>();
    this.lifecycle = new Emitter();
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.createSocket = options.createSocket ?? ((url) => new WebSocket(url) as unknown as WebSocketLike);
  }

  get connected(): boolean {
    return this.socket?.readyState === OPEN;
  }

  /** Opens a new socket (closing any previous one). Resolves once it is open. */
  connect(): Promise<void> {
    this.dropSocket('reconnecting');
    return new Promise((resolve, reject) => {
      let settled = false;
      let socket: WebSocketLike;
      try {
        socket = this.createSocket(this.options.url);
      } catch (err) {
        reject(new SignalingError('connection_failed', `Cannot open ${this.options.url}: ${String(err)}`));
        return;
      }
      this.socket = socket;
      const timer = setTimeout(() => fail(), this.connectTimeoutMs);
      const fail = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.detach(socket);
        if (this.socket === socket) this.socket = null;
        try {
          socket.close();
        } catch {
          // already closing
        }
        reject(new SignalingError('connection_failed', `Cannot connect to ${this.options.url}.`));
      };
      socket.onopen = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve();
      };
      socket.onerror = () => {
        if (!settled) fail();
      };
      socket.onclose = (ev) => {
        if (!settled) {
          fail();
          return;
        }
        this.onSocketClosed(socket, ev.code, ev.reason);
      };
      socket.onmessage = (ev) => this.onMessage(ev.data);
    });
  }

  /** Sends a request; resolves with the answer's data or rejects with a `SignalingError` carrying its code. */
  request<M extends RequestMethod>(method: M, data: RequestData<M>, timeoutMs = this.requestTimeoutMs): Promise<ResponseData[M]> {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) {
      return Promise.reject(new SignalingError('connection_closed', `Not connected (while sending ${method}).`));
    }
    const id = this.nextId++;
    return new Promise<ResponseData[M]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SignalingError('timeout', `No answer to ${method} within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (d: unknown) => void, reject, timer });
      try {
        socket.send(JSON.stringify({ id, method, data }));
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new SignalingError('connection_closed', `Cannot send ${method}: ${String(err)}`));
      }
    });
  }

  /**
   * Closes the socket as if the network had dropped it: `closed` is emitted, so the owner's
   * resume logic runs. For tests of session resume (window.convene.dropConnection()).
   */
  dropForTest(): void {
    this.socket?.close(4000, 'dropped for test');
  }

  /** Closes the socket on purpose: pending requests fail with `connection_closed`, `closed` is not emitted. */
  close(): void {
    this.dropSocket('closed by client');
  }

  private dropSocket(why: string): void {
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      this.detach(socket);
      try {
        socket.close(1000, why);
      } catch {
        // already closed
      }
    }
    this.failPending(why);
  }

  private detach(socket: WebSocketLike): void {
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = null;
  }

  private failPending(why: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new SignalingError('connection_closed', `The connection closed before ${p.method} was answered (${why}).`));
    }
  }

  private onSocketClosed(socket: WebSocketLike, code: number, reason: string): void {
    if (this.socket !== socket) return;
    this.detach(socket);
    this.socket = null;
    this.failPending(`socket closed, code ${code}`);
    this.lifecycle.emit('closed', { code, reason });
  }

  /** Server input is untrusted: anything that is not a well-formed answer or notification is ignored. */
  private onMessage(raw: unknown): void {
    if (typeof raw !== 'string' || raw.length > 1_048_576) return;
    let msg: unknown;
    try {
      msg = JSON.parse(raw);
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return;
    const m = msg as Record<string, unknown>;
    if (typeof m.notification === 'string') {
      const data = m.data;
      if (typeof data !== 'object' || data === null) return;
      this.notifications.emit(m.notification as NotificationName, data as never);
      return;
    }
    if (typeof m.id !== 'number' || typeof m.ok !== 'boolean') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok) {
      p.resolve(typeof m.data === 'object' && m.data !== null ? m.data : {});
      return;
    }
    const e = typeof m.error === 'object' && m.error !== null ? (m.error as Record<string, unknown>) : {};
    const code = typeof e.code === 'string' ? e.code : 'internal';
    const message = typeof e.message === 'string' ? e.message : `${p.method} failed.`;
    const details = typeof e.details === 'object' && e.details !== null ? (e.details as Record<string, unknown>) : undefined;
    p.reject(new SignalingError(code, message, details));
  }
}
