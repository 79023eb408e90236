import WebSocket from 'ws';
import type { NotificationData, NotificationName, RequestData, RequestMethod, ResponseData } from '../../server/src/protocol/index.js';
import { PROTOCOL_VERSION } from '../../server/src/protocol/index.js';

export interface ProtocolError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export class RequestFailed extends Error {
  constructor(readonly error: ProtocolError) {
    super(`${error.code}: ${error.message}`);
  }
}

type Notification = { [N in NotificationName]: { notification: N; data: NotificationData[N] } }[NotificationName];

/**
 * A protocol-level participant for tests: speaks the signalling protocol over a real WebSocket,
 * records every notification, and can wait for one.
 */
export class SignalingClient {
  readonly notifications: Notification[] = [];
  /** Responses that did not match a request (e.g. errors for unparseable messages). */
  readonly unmatched: { id: unknown; ok: boolean; error?: ProtocolError }[] = [];
  resumeToken = '';
  private nextId = 1;
  private readonly pending = new Map<number | string, { resolve: (d: unknown) => void; reject: (e: Error) => void }>();
  private readonly waiters: { pred: (n: Notification) => boolean; resolve: (n: Notification) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => this.onMessage(raw.toString()));
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    void this.closed.then(() => {
      for (const p of this.pending.values()) p.reject(new Error('socket closed'));
      this.pending.clear();
    });
  }

  /** `options`: e.g. `ca` for wss with a test CA, `localAddress`, `headers` (X-Forwarded-For from a "proxy"). */
  static async connect(url: string, options?: WebSocket.ClientOptions): Promise<SignalingClient> {
    const ws = new WebSocket(url, options);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new SignalingClient(ws);
  }

  /** Connects and says hello (optionally resuming). */
  static async open(url: string, resumeToken?: string, options?: WebSocket.ClientOptions): Promise<{ client: SignalingClient; hello: ResponseData['hello'] }> {
    const client = await SignalingClient.connect(url, options);
    const hello = await client.request('hello', { protocolVersion: PROTOCOL_VERSION, ...(resumeToken ? { resumeToken } : {}) });
    client.resumeToken = hello.resumeToken;
    return { client, hello };
  }

  private onMessage(text: string): void {
    const msg = JSON.parse(text) as { id?: number | string | null; ok?: boolean; data?: unknown; error?: ProtocolError } & Partial<Notification>;
    if (msg.notification) {
      const n = { notification: msg.notification, data: msg.data } as Notification;
      this.notifications.push(n);
      for (const w of [...this.waiters]) {
        if (w.pred(n)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(n);
        }
      }
      return;
    }
    const p = msg.id !== undefined && msg.id !== null ? this.pending.get(msg.id) : undefined;
    if (!p) {
      this.unmatched.push({ id: msg.id, ok: Boolean(msg.ok), ...(msg.error ? { error: msg.error } : {}) });
      return;
    }
    this.pending.delete(msg.id!);
    if (msg.ok) p.resolve(msg.data);
    else p.reject(new RequestFailed(msg.error!));
  }

  request<M extends RequestMethod>(method: M, data: RequestData<M> | Record<string, unknown>, timeoutMs = 15_000): Promise<ResponseData[M]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} timed out`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (d) => (clearTimeout(timer), resolve(d as ResponseData[M])),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.ws.send(JSON.stringify({ id, method, data }));
    });
  }

  /** The error a request is refused with (fails the test if it succeeds). */
  async refusal<M extends RequestMethod>(method: M, data: RequestData<M> | Record<string, unknown>): Promise<ProtocolError> {
    try {
      await this.request(method, data);
    } catch (err) {
      if (err instanceof RequestFailed) return err.error;
      throw err;
    }
    throw new Error(`${method} was expected to be refused`);
  }

  sendRaw(text: string | Buffer): void {
    this.ws.send(text);
  }

  waitFor<N extends NotificationName>(
    name: N,
    pred: (data: NotificationData[N]) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<NotificationData[N]> {
    const match = (n: Notification) => n.notification === name && pred(n.data as NotificationData[N]);
    const seen = this.notifications.find(match);
    if (seen) return Promise.resolve(seen.data as NotificationData[N]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${name} notification within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ pred: match, resolve: (n) => (clearTimeout(timer), resolve(n.data as NotificationData[N])) });
    });
  }

  /** Waits for the next unmatched (id-less) error response. */
  async nextUnmatched(timeoutMs = 5_000): Promise<{ id: unknown; ok: boolean; error?: ProtocolError }> {
    const deadline = Date.now() + timeoutMs;
    const start = this.unmatched.length;
    while (this.unmatched.length === start) {
      if (Date.now() > deadline) throw new Error('no unmatched response');
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.unmatched[start]!;
  }

  close(): void {
    this.ws.close();
  }

  /** Drops the TCP connection without a close handshake (a network failure, as far as the server knows). */
  kill(): void {
    this.ws.terminate();
  }
}
