/**
 * A small typed event emitter. Listeners that throw are caught and reported through
 * `onListenerError` (by default `console.error`, so this file runs in Node and in browsers alike)
 * so one faulty subscriber can never break the object that emits — the same idea as mediasoup's
 * `safeEmit`.
 *
 *   const e = new Emitter<{ close: []; speaker: [id: string] }>();
 *   e.on('speaker', (id) => ...); e.emit('speaker', 'p1');
 */
export type EventMap = Record<string, unknown[]>;
type Listener<A extends unknown[]> = (...args: A) => void;

export class Emitter<E extends EventMap> {
  // Stored type-erased; `on()`/`emit()` keep each event's argument types aligned.
  private readonly listeners = new Map<keyof E, Set<(...args: never) => void>>();

  constructor(
    private readonly onListenerError: (event: string, err: unknown) => void = (event, err) =>
      console.error(`listener for "${event}" threw:`, err),
  ) {}

  on<K extends keyof E>(event: K, fn: Listener<E[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn);
    return () => this.off(event, fn);
  }

  once<K extends keyof E>(event: K, fn: Listener<E[K]>): () => void {
    const off = this.on(event, ((...args: E[K]) => {
      off();
      fn(...args);
    }) as Listener<E[K]>);
    return off;
  }

  off<K extends keyof E>(event: K, fn: Listener<E[K]>): void {
    this.listeners.get(event)?.delete(fn);
  }

  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.listeners.get(event);
    if (!set || set.size === 0) return;
    for (const fn of [...set]) {
      try {
        (fn as unknown as Listener<E[K]>)(...args);
      } catch (err) {
        this.onListenerError(String(event), err);
      }
    }
  }

  listenerCount<K extends keyof E>(event: K): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  removeAllListeners(): void {
    this.listeners.clear();
  }

  /** Resolves with the event's arguments the next time it fires (or rejects after `timeoutMs`). */
  waitFor<K extends keyof E>(event: K, timeoutMs = 30_000): Promise<E[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for "${String(event)}"`));
      }, timeoutMs);
      const off = this.once(event, ((...args: E[K]) => {
        clearTimeout(timer);
        resolve(args);
      }) as Listener<E[K]>);
    });
  }
}
