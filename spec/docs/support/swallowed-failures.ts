/**
 * Signs, in what a snippet or CLI command printed, of a failure it swallowed while still exiting 0:
 * failed episodes counted by a summary (collect's, rollout's, a logged summary object), collect's
 * per-episode failure line, an unhandled error that Node reported without crashing. A doc example
 * that loses episodes on the way would teach the reader nothing and pass; one that means to show
 * failures says so with `doctest: expects failures (why)`.
 */
const SIGNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^collect: episode \S+ failed: .*$/m, "collect's per-episode failure line"],
  [/\bfailed [1-9]\d*\b.*$/m, 'a summary counting failed episodes'],
  [/\b[1-9]\d* failed\b.*$/m, 'a count of failures'],
  [/^failures: [1-9]\d* episode\(s\) failed.*$/m, "rollout's failures line"],
  [/\bfailed["']?: [1-9]\d*\b.*$/m, 'a logged summary with failed episodes'],
  [/^.*\b(?:UnhandledPromiseRejection|Unhandled (?:promise )?rejection|Uncaught(?:Exception)?\b).*$/im, 'an unhandled error'],
];

/** Each sign found in `output`: what it is and the line that shows it. */
export function swallowedFailures(output: string): string[] {
  return SIGNS.flatMap(([pattern, what]) => {
    const match = pattern.exec(output);
    return match ? [`${what}: ${match[0].trim().slice(0, 300)}`] : [];
  });
}
