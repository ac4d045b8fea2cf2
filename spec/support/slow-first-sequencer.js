/**
 * jest's own sequencer orders suites by the durations it cached in an earlier run, and by file
 * size on a fresh clone (CI): a long suite drawn last then runs alone at the end and sets the wall
 * time. The suites below are the long ones (measured, most of their time waiting on npm, Docker,
 * swarm tasks and child processes): they start first, and the short ones fill the workers around
 * them. The order among the rest is jest's.
 */
import Sequencer from '@jest/test-sequencer';

const SLOW_FIRST = [
  'spec/cli/rollout-swarm.spec.ts',
  'spec/faults/matrix/docker.spec.ts',
  'spec/faults/matrix/url-list.spec.ts',
  'spec/runtime/exit-cleanup.spec.ts',
  'spec/fleet/pool-fixed-faults.spec.ts',
  'spec/swarm/swarm-session.spec.ts',
  'spec/cli/interrupt-image.spec.ts',
  'spec/interop/files.spec.ts',
  'spec/runtime/docker-endpoint.spec.ts',
];

const rank = (path) => {
  const at = SLOW_FIRST.findIndex((suffix) => path.endsWith(suffix));
  return at === -1 ? SLOW_FIRST.length : at;
};

export default class SlowFirstSequencer extends (Sequencer.default ?? Sequencer) {
  sort(tests) {
    const sorted = super.sort(tests);
    return [...sorted].sort((a, b) => rank(a.path) - rank(b.path));
  }
}
