// Janus VideoRoom for the media bench: Debian's `janus` with a generated config in a temp dir.
import { spawnSync } from 'node:child_process';

export function janusAvailable() {
  const r = spawnSync('janus', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'janus not installed (apt-get install -y janus)';
  return 'the load client does not speak the VideoRoom API yet';
}

export async function startJanus() {
  throw new Error('not implemented');
}
