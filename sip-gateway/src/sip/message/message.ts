/**
 * SIP request/response objects. Headers are kept in wire order as (name, value) entries, one entry
 * per list element; typed accessors parse on demand and cache until the header is changed.
 */
import { SipParseError, SipParseErrorCode } from './errors.js';
import {
  canonicalHeaderName,
  parseContentType,
  parseCSeq,
  parseNameAddr,
  parseUnsigned,
  parseVia,
  tagOf,
  type ContentType,
  type CSeq,
  type NameAddr,
  type Via,
} from './headers.js';
import type { Uri } from './uri.js';

export interface HeaderEntry {
  /** Canonical name (compact forms expanded). */
  name: string;
  value: string;
}

abstract class SipMessageBase {
  headers: HeaderEntry[] = [];
  body: Buffer = Buffer.alloc(0);
  private cache = new Map<string, unknown>();

  /** First value of a header (case-insensitive, compact forms accepted). */
  get(name: string): string | undefined {
    const n = canonicalHeaderName(name);
    for (const h of this.headers) if (h.name === n) return h.value;
    return undefined;
  }

  getAll(name: string): string[] {
    const n = canonicalHeaderName(name);
    const out: string[] = [];
    for (const h of this.headers) if (h.name === n) out.push(h.value);
    return out;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Replaces all values of `name` with one value, keeping the position of the first. */
  set(name: string, value: string): this {
    const canon = canonicalHeaderName(name);
    const n = canon.toLowerCase();
    const out: HeaderEntry[] = [];
    let placed = false;
    for (const h of this.headers) {
      if (h.name !== canon) out.push(h);
      else if (!placed) {
        out.push({ name: canon, value });
        placed = true;
      }
    }
    if (!placed) out.push({ name: canon, value });
    this.headers = out;
    this.cache.delete(n);
    return this;
  }

  append(name: string, value: string): this {
    const canon = canonicalHeaderName(name);
    this.headers.push({ name: canon, value });
    this.cache.delete(canon.toLowerCase());
    return this;
  }

  /** Inserts before the first existing value of the same header (or at the top). */
  prepend(name: string, value: string): this {
    const canon = canonicalHeaderName(name);
    const n = canon.toLowerCase();
    const idx = this.headers.findIndex((h) => h.name === canon);
    this.headers.splice(idx >= 0 ? idx : 0, 0, { name: canon, value });
    this.cache.delete(n);
    return this;
  }

  remove(name: string): this {
    const canon = canonicalHeaderName(name);
    this.headers = this.headers.filter((h) => h.name !== canon);
    this.cache.delete(canon.toLowerCase());
    return this;
  }

  /** Drops the first value of a header (e.g. the top Via). */
  removeFirst(name: string): this {
    const canon = canonicalHeaderName(name);
    const idx = this.headers.findIndex((h) => h.name === canon);
    if (idx >= 0) this.headers.splice(idx, 1);
    this.cache.delete(canon.toLowerCase());
    return this;
  }

  private cached<T>(key: string, compute: () => T): T {
    if (this.cache.has(key)) return this.cache.get(key) as T;
    const v = compute();
    this.cache.set(key, v);
    return v;
  }

  private required(name: string): string {
    const v = this.get(name);
    if (v === undefined) throw new SipParseError(SipParseErrorCode.MissingHeader, `missing ${name}`, name);
    return v;
  }

  get vias(): Via[] {
    return this.cached('via', () => this.getAll('Via').map(parseVia));
  }

  get topVia(): Via {
    const v = this.vias[0];
    if (!v) throw new SipParseError(SipParseErrorCode.MissingHeader, 'missing Via', 'Via');
    return v;
  }

  get from(): NameAddr {
    return this.cached('from', () => parseNameAddr(this.required('From'), 'From'));
  }

  get to(): NameAddr {
    return this.cached('to', () => parseNameAddr(this.required('To'), 'To'));
  }

  get fromTag(): string | undefined {
    return tagOf(this.from);
  }

  get toTag(): string | undefined {
    return tagOf(this.to);
  }

  get callId(): string {
    return this.cached('call-id', () => {
      const v = this.required('Call-ID').trim();
      if (!/^[A-Za-z0-9\-.!%*_+`'~()<>:\\"/\[\]?{}]+(?:@[A-Za-z0-9\-.!%*_+`'~()<>:\\"/\[\]?{}]+)?$/.test(v)) {
        throw new SipParseError(SipParseErrorCode.BadHeader, 'bad Call-ID', 'Call-ID');
      }
      return v;
    });
  }

  get cseq(): CSeq {
    return this.cached('cseq', () => parseCSeq(this.required('CSeq')));
  }

  /** Contact entries; `'*'` for the wildcard form used in de-registration. */
  get contacts(): NameAddr[] | '*' {
    return this.cached('contact', () => {
      const all = this.getAll('Contact');
      if (all.length === 1 && all[0]?.trim() === '*') return '*' as const;
      return all.map((v) => parseNameAddr(v, 'Contact'));
    });
  }

  get routes(): NameAddr[] {
    return this.cached('route', () => this.getAll('Route').map((v) => parseNameAddr(v, 'Route')));
  }

  get recordRoutes(): NameAddr[] {
    return this.cached('record-route', () => this.getAll('Record-Route').map((v) => parseNameAddr(v, 'Record-Route')));
  }

  get contentLength(): number | undefined {
    const v = this.get('Content-Length');
    return v === undefined ? undefined : parseUnsigned(v, 'Content-Length');
  }

  get contentType(): ContentType | undefined {
    return this.cached('content-type', () => {
      const v = this.get('Content-Type');
      return v === undefined ? undefined : parseContentType(v);
    });
  }

  get maxForwards(): number | undefined {
    const v = this.get('Max-Forwards');
    return v === undefined ? undefined : parseUnsigned(v, 'Max-Forwards', 255);
  }

  get expires(): number | undefined {
    const v = this.get('Expires');
    return v === undefined ? undefined : parseUnsigned(v, 'Expires');
  }

  /** Option tags from Require/Supported/etc., lower-cased. */
  optionTags(name: 'Require' | 'Supported' | 'Proxy-Require' | 'Unsupported'): string[] {
    return this.getAll(name).map((t) => t.trim().toLowerCase());
  }

  /** Parses every typed header once so malformed input is rejected at the edge, not deep in a layer. */
  validate(): void {
    void this.vias;
    void this.topVia;
    void this.from;
    void this.to;
    void this.callId;
    void this.cseq;
    void this.contacts;
    void this.routes;
    void this.recordRoutes;
    void this.contentLength;
    void this.contentType;
    void this.maxForwards;
    void this.expires;
  }
}

export class SipRequest extends SipMessageBase {
  readonly kind = 'request' as const;
  constructor(
    public method: string,
    public uri: Uri,
  ) {
    super();
  }
}

export class SipResponse extends SipMessageBase {
  readonly kind = 'response' as const;
  constructor(
    public status: number,
    public reason: string,
  ) {
    super();
  }
}

export type SipMessage = SipRequest | SipResponse;
