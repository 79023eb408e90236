import type { AdminContext } from '../context.js';
import { adminError } from '../errors.js';
import type { VmrRecord, VmrView } from '../model.js';
import { PIN_PATTERN, hashPin } from '../pins.js';
import { newId, newNumericId } from '../store/index.js';

export function newVmr(fields: Pick<VmrRecord, 'companyId' | 'addresses' | 'displayName' | 'owner'>): VmrRecord {
  return {
    id: newId('vm'),
    numericId: newNumericId(),
    hostPinHash: null,
    guestPinHash: null,
    allowGuests: true,
    defaultLayout: 'speaker',
    defaultBandwidthKbps: 1536,
    participantLimit: null,
    state: 'active',
    ...fields,
  };
}

export function vmrView(v: VmrRecord): VmrView {
  const { hostPinHash, guestPinHash, ...rest } = v;
  return { ...rest, hostPinSet: hostPinHash !== null, guestPinSet: guestPinHash !== null };
}

export interface VmrSettingsPatch {
  /** null clears the PIN. */
  hostPin?: string | null | undefined;
  guestPin?: string | null | undefined;
  allowGuests?: boolean | undefined;
  defaultLayout?: VmrRecord['defaultLayout'] | undefined;
  defaultBandwidthKbps?: number | undefined;
  participantLimit?: number | null | undefined;
  displayName?: string | undefined;
}

/**
 * Applies PIN/settings changes (SPEC §3 PIN rules): a guest PIN needs a host PIN and must differ
 * from it; clearing the host PIN clears the guest PIN (no PIN = everyone is host).
 */
export async function applyVmrSettings(ctx: AdminContext, vmr: VmrRecord, patch: VmrSettingsPatch): Promise<VmrRecord> {
  for (const pin of [patch.hostPin, patch.guestPin]) {
    if (typeof pin === 'string' && !PIN_PATTERN.test(pin)) throw adminError('bad_request', 'a PIN is 4-20 digits');
    if (typeof pin === 'string' && pin.length < ctx.config.minPinLength) {
      throw adminError('bad_request', `a PIN needs at least ${ctx.config.minPinLength} digits (6 or more are advised)`, { minPinLength: ctx.config.minPinLength });
    }
  }
  if (typeof patch.hostPin === 'string' && typeof patch.guestPin === 'string' && patch.hostPin === patch.guestPin) {
    throw adminError('bad_request', 'host and guest PIN must differ');
  }
  const next: VmrRecord = { ...vmr };
  if (patch.hostPin !== undefined) {
    next.hostPinHash = patch.hostPin === null ? null : await hashPin(patch.hostPin);
    if (patch.hostPin === null) next.guestPinHash = null;
  }
  if (patch.guestPin !== undefined) {
    if (patch.guestPin !== null && next.hostPinHash === null) throw adminError('bad_request', 'set a host PIN before a guest PIN');
    next.guestPinHash = patch.guestPin === null ? null : await hashPin(patch.guestPin);
  }
  if (patch.allowGuests !== undefined) next.allowGuests = patch.allowGuests;
  if (patch.defaultLayout !== undefined) next.defaultLayout = patch.defaultLayout;
  if (patch.defaultBandwidthKbps !== undefined) next.defaultBandwidthKbps = patch.defaultBandwidthKbps;
  if (patch.participantLimit !== undefined) next.participantLimit = patch.participantLimit === null ? null : Math.min(100, patch.participantLimit);
  if (patch.displayName !== undefined) next.displayName = patch.displayName;
  await ctx.consumers.updateVmr(next);
  return next;
}
