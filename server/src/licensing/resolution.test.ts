import { describe, expect, it } from 'vitest';
import { videoResolutionCap, type FullHdAddOns } from './index.js';

const all: FullHdAddOns = { cvi: true, teamsRooms: true, zoomRooms: true };
const nothing: FullHdAddOns = { cvi: false, teamsRooms: false, zoomRooms: false };

describe('videoResolutionCap (seed 002 FullHD add-ons)', () => {
  it('meeting participants get at most 720p, whatever add-ons their company holds', () => {
    expect(videoResolutionCap('meeting', all)).toEqual({ width: 1280, height: 720, reason: 'standard' });
    expect(videoResolutionCap('meeting', nothing).height).toBe(720);
  });

  it('each FullHD add-on allows 1080p on its own kind of call only', () => {
    expect(videoResolutionCap('cvi_microsoft', { ...nothing, cvi: true })).toEqual({ width: 1920, height: 1080, reason: 'fullhd_addon' });
    expect(videoResolutionCap('teams_rooms', { ...nothing, teamsRooms: true }).height).toBe(1080);
    expect(videoResolutionCap('zoom_rooms', { ...nothing, zoomRooms: true }).height).toBe(1080);
    // The wrong add-on does not count.
    expect(videoResolutionCap('cvi_microsoft', { ...nothing, teamsRooms: true, zoomRooms: true }).height).toBe(720);
    expect(videoResolutionCap('zoom_rooms', { ...nothing, cvi: true }).height).toBe(720);
  });

  it('without the add-on those calls stay at 720p; Google Meet interop has no FullHD add-on', () => {
    for (const kind of ['cvi_microsoft', 'teams_rooms', 'zoom_rooms'] as const) expect(videoResolutionCap(kind, nothing).height).toBe(720);
    expect(videoResolutionCap('cvi_google', all).height).toBe(720);
  });

  it('hands out copies: a caller changing its answer changes nothing else', () => {
    const a = videoResolutionCap('meeting', nothing);
    a.height = 4320;
    expect(videoResolutionCap('meeting', nothing).height).toBe(720);
  });
});
