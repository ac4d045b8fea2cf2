// Child-process client for the swarm reaper tests: subscribes to swarmEndpoint(image), prints
// `{"serviceId","url"}` once ready, then holds the service until killed. SIGKILL leaves an
// orphan service for the reaper (no sweep of its own: reap is off).
// Run: node --import ./spec/fixtures/register-ts-loader.mjs spec/swarm/support/hold-swarm-endpoint.ts <image>
import { swarmEndpoint } from '../../../src/runtime/swarm/swarm-endpoint.js';

const image = process.argv[2];
if (!image) throw new Error('usage: hold-swarm-endpoint.ts <image>');
swarmEndpoint(image, { reap: false, startTimeoutMs: 30_000 }).subscribe({
  next: (endpoint) => process.stdout.write(`${JSON.stringify({ serviceId: endpoint.serviceId, url: endpoint.url })}\n`),
  error: (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
});
