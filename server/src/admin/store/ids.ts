import { randomBytes, randomInt } from 'node:crypto';

/** Opaque random ids with a type prefix (`co_…` company, `vm_…` VMR): unguessable, URL-safe. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/** A 9-digit numeric VMR id for the IVR (first digit not 0). Uniqueness is claimed in Redis. */
export function newNumericId(): string {
  return String(randomInt(100_000_000, 1_000_000_000));
}
