// Worker thread for thread-priority.test.ts: sets its own nice value and reports what /proc says.
// Node 20 ignores `--import tsx` in a worker's execArgv, so tsx is registered here.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const m = await import('../thread-priority.ts');
parentPort.postMessage({ result: m.setCurrentThreadNice(workerData.nice), tid: m.currentThreadId() });
