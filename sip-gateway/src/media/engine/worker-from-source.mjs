// Starts worker.ts from TypeScript source (tests, tsx): worker threads do not inherit the parent's
// tsx loader, and Node 20 ignores `--import tsx` in a worker's execArgv, so register it here.
// The compiled build starts dist/…/worker.js directly and never loads this file.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
