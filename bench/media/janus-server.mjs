// Janus VideoRoom for the media bench: Debian's `janus` (apt-get install -y janus) with only the
// VideoRoom plugin and the WebSocket transport (janus-process.mjs).
import { janusInstalled, startJanusWith } from './janus-process.mjs';

const NEEDS = { plugins: ['videoroom'], transports: ['websockets'] };

/** true, or why Janus cannot run here. */
export function janusAvailable() {
  return janusInstalled(NEEDS);
}

export async function startJanus(workDir, track) {
  const janus = await startJanusWith(workDir, track, {
    serverName: 'convene-media-bench',
    plugins: { videoroom: 'general: {\n  string_ids = false\n}\n' },
    transports: NEEDS.transports,
    rtpPortRange: '40000-49999',
  });
  const { proc, pid, wsUrl } = janus;
  return { name: 'janus', label: 'Janus VideoRoom', proc, pid, wsUrl, kind: 'janus', newRooms: async (count) => Array.from({ length: count }, (_, i) => `janus-room-${Date.now()}-${i}`) };
}
