/**
 * Authenticated ways for a room's owner to be admitted as host without a PIN (so a throttled
 * room never locks its owner out). The meeting core only sees these small ports; the
 * composition root backs them with the SIP registrar and the administration store.
 */

/** Who is calling, as the SIP gateway observed it on the network (never taken from a browser). */
export interface CallerIdentity {
  /** The endpoint's address (its address-of-record without the scheme), e.g. `boardroom@example.com`. */
  endpointAddress: string;
  /** Where the call's signalling came from. */
  source: { transport: string; address: string; port: number };
}

export interface EndpointVerifier {
  /** True when `caller` is a live registration of an active endpoint of `companyId`. */
  isRegisteredEndpointOf(caller: CallerIdentity, companyId: string): Promise<boolean>;
}

/** The registrar's view of a binding, as far as this check needs it. */
export interface LiveBinding {
  source?: { transport: string; address: string; port: number } | undefined;
}

/** "::ffff:10.0.0.1" and "10.0.0.1" are one address. */
const normalise = (address: string): string => address.trim().toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');

/**
 * A caller is a registered endpoint when its source matches one of the endpoint's live bindings
 * (same transport and address; over UDP also the same port, as a UDP source is cheap to claim)
 * and the endpoint is active and belongs to the company.
 */
export function registeredEndpointVerifier(deps: {
  /** Live bindings of an address-of-record (`sip:user@host`). */
  liveBindings(aor: string): Promise<LiveBinding[]>;
  /** The owning company of an active endpoint at this address, or null. */
  endpointCompany(address: string): Promise<string | null>;
}): EndpointVerifier {
  return {
    async isRegisteredEndpointOf(caller, companyId) {
      const address = caller.endpointAddress.trim().replace(/^sips?:/i, '');
      if (!/^[^@\s]+@[^@\s]+$/.test(address)) return false;
      if ((await deps.endpointCompany(address)) !== companyId) return false;
      const transport = caller.source.transport.toLowerCase();
      const from = normalise(caller.source.address);
      const bindings = await deps.liveBindings(`sip:${address.replace(/@(.*)$/, (_m, host: string) => `@${host.toLowerCase()}`)}`);
      return bindings.some(
        (b) =>
          b.source !== undefined &&
          b.source.transport.toLowerCase() === transport &&
          normalise(b.source.address) === from &&
          (transport !== 'udp' || b.source.port === caller.source.port),
      );
    },
  };
}
