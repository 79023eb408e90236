/**
 * Video resolution cap (SPEC §4, seed 002). Seed 002 sells FullHD (1080p) as add-ons for three
 * kinds of call only: "FullHD for Microsoft CVI" (endpoints gatewayed into Teams meetings),
 * "FullHD for Teams Rooms" and "FullHD for Zoom Rooms". So "licensed" means: the call is of the
 * kind the add-on names, and the company that owns the call (the CVI caller's / the Teams or Zoom
 * Rooms licence holder's) holds an active plan of that add-on (capacity > 0). Calls into our own
 * VMRs are no such call: every VMR participant — browser, room system, phone — gets at most 720p.
 * Google Meet interop has no FullHD add-on in seed 002, so it stays at 720p too.
 */

/** What kind of call a resolution is asked for. `meeting`: a participant of one of our VMRs. */
export type VideoCallKind = 'meeting' | 'cvi_microsoft' | 'cvi_google' | 'teams_rooms' | 'zoom_rooms';

/** The company's FullHD add-ons (each true when it holds an active plan of it). */
export interface FullHdAddOns {
  cvi: boolean;
  teamsRooms: boolean;
  zoomRooms: boolean;
}

export interface ResolutionCap {
  width: number;
  height: number;
  /** Why: `fullhd_addon` when an add-on raised it to 1080p, else `standard`. */
  reason: 'fullhd_addon' | 'standard';
}

export const HD_720: Readonly<ResolutionCap> = Object.freeze({ width: 1280, height: 720, reason: 'standard' });
export const FULL_HD_1080: Readonly<ResolutionCap> = Object.freeze({ width: 1920, height: 1080, reason: 'fullhd_addon' });

/** 1080p where the call's kind has a FullHD add-on and the company holds it; 720p otherwise. */
export function videoResolutionCap(callKind: VideoCallKind, addOns: FullHdAddOns): ResolutionCap {
  const licensed =
    (callKind === 'cvi_microsoft' && addOns.cvi) ||
    (callKind === 'teams_rooms' && addOns.teamsRooms) ||
    (callKind === 'zoom_rooms' && addOns.zoomRooms);
  return { ...(licensed ? FULL_HD_1080 : HD_720) };
}
