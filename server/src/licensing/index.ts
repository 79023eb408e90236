export {
  ENDPOINT_TIER_KBPS,
  MIN_CALL_KBPS,
  SERVICE_MAX_CALL_KBPS,
  callBandwidthCap,
  tierKbps,
  type BandwidthCapSource,
  type CallBandwidthCap,
  type CallBandwidthInput,
  type EndpointTierName,
} from './bandwidth.js';
export { FULL_HD_1080, HD_720, videoResolutionCap, type FullHdAddOns, type ResolutionCap, type VideoCallKind } from './resolution.js';
