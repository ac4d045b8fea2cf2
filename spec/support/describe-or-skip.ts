/**
 * `describe` when what the suite needs answered, and also under CI=true (where the suite's first
 * beforeAll then FAILS on the missing engine or cluster instead of skipping); otherwise
 * `describe.skip`, saying why. The one rule behind dockerSuite(), swarmSuite() and clusterSuite().
 */
export function describeOrSkip(available: boolean, skipMessage: string): jest.Describe {
  if (available || process.env['CI']) return describe;
  console.warn(skipMessage);
  return describe.skip;
}
