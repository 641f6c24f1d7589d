// A kernel worker thread on Node, started by the team's supervisor (supervisor.mjs); the loop
// itself is kernel-loop.mjs (shared with the browser's web-worker.mjs).
import { parentPort, workerData } from 'node:worker_threads';
import { serveJobs } from './kernel-loop.mjs';

/** Exit code of a worker that a test told to die holding a chunk (TEST_EXIT_ON_CLAIM). */
const TEST_EXIT_CODE = 70;

serveJobs(workerData, () => parentPort.postMessage('ready'), () => process.exit(TEST_EXIT_CODE));
// Deno's parentPort has no close(); ending the script ends the thread there.
parentPort.close?.();
