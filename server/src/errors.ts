/**
 * Domain errors carry a stable machine-readable `code` (the same string in logs, API error
 * bodies, signalling errors and metric labels). Each subsystem declares its codes in a table
 * that maps a code to its HTTP status; `errorCodes()` lists them all so a test can keep the
 * list, the docs and the types in sync.
 */
export interface ErrorCodeInfo {
  /** HTTP status for API responses. */
  http: number;
  /** One-line human explanation, shown in docs. */
  description: string;
}

const registry = new Map<string, ErrorCodeInfo>();

/** Registers a subsystem's codes; a code may only be declared once. Returns the table typed. */
export function defineErrorCodes<T extends Record<string, ErrorCodeInfo>>(table: T): T {
  for (const [code, info] of Object.entries(table)) {
    const existing = registry.get(code);
    if (existing && existing !== info) throw new Error(`error code ${code} declared twice`);
    registry.set(code, info);
  }
  return table;
}

export function errorCodes(): ReadonlyMap<string, ErrorCodeInfo> {
  return registry;
}

export const CoreErrors = defineErrorCodes({
  bad_request: { http: 400, description: 'The request is malformed or fails validation.' },
  unauthorized: { http: 401, description: 'No valid credentials were presented.' },
  forbidden: { http: 403, description: 'The credentials do not allow this action on this resource.' },
  not_found: { http: 404, description: 'No such resource (or not visible to you).' },
  method_not_allowed: { http: 405, description: 'The resource exists but not with this method (the Allow header lists the methods).' },
  not_acceptable: { http: 406, description: 'No representation matches the Accept header.' },
  conflict: { http: 409, description: 'The resource already exists or changed concurrently.' },
  payload_too_large: { http: 413, description: 'The request body exceeds the size limit.' },
  unsupported_media_type: { http: 415, description: 'The request body has a Content-Type this route does not accept.' },
  range_not_satisfiable: { http: 416, description: 'The Range header asks for bytes outside the file.' },
  rate_limited: { http: 429, description: 'Too many requests; retry later.' },
  not_ready: { http: 503, description: 'A dependency (store, media workers) is unavailable.' },
  internal: { http: 500, description: 'An unexpected error; details are in the server log.' },
});

export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  get httpStatus(): number {
    return registry.get(this.code)?.http ?? 500;
  }

  /** The body every API error response uses: `{ error: { code, message, details? } }`. */
  toJSON(): { error: { code: string; message: string; details?: Record<string, unknown> } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}
