import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '../../fixtures/test-image.js';

/** The pinned OpenEnv releases: the [section] names of interop/pins.txt. */
export const RELEASES = ['openenv', 'openenv-core'] as const;
export type OpenEnvRelease = (typeof RELEASES)[number];

export interface OpenEnvVenv {
  release: OpenEnvRelease;
  /** The pinned version of the release itself, e.g. `0.10.0`. */
  version: string;
  dir: string;
  python: string;
  bin: (tool: string) => string;
}

/** The requirement lines of one section, exactly as scripts/interop-venv.sh extracts (and hashes) them. */
export function sectionLines(release: OpenEnvRelease): string[] {
  const lines: string[] = [];
  let inside = false;
  for (const raw of readFileSync(repoPath('interop/pins.txt'), 'utf8').split('\n')) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(raw);
    if (header) {
      inside = header[1]!.replace(/\s/g, '') === release;
      continue;
    }
    const line = raw.replace(/#.*/, '').trim();
    if (inside && line) lines.push(line);
  }
  return lines;
}

/** Where scripts/interop-venv.sh puts (or put) this release's venv. */
export function venvDir(release: OpenEnvRelease): string {
  const cache = process.env['OPENENV_RX_INTEROP_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'openenv-rx', 'interop');
  const hash = createHash('sha256').update(`${sectionLines(release).join('\n')}\n`).digest('hex').slice(0, 16);
  return join(cache, `${release}-${hash}`);
}

/** The release's venv when the script finished it (its `.ready` mark), else undefined. */
export function findVenv(release: OpenEnvRelease): OpenEnvVenv | undefined {
  const dir = venvDir(release);
  if (!existsSync(join(dir, '.ready'))) return undefined;
  const pin = sectionLines(release).find((line) => line.toLowerCase().startsWith(`${release}==`));
  return { release, version: pin?.split('==')[1] ?? 'unknown', dir, python: join(dir, 'bin', 'python'), bin: (tool) => join(dir, 'bin', tool) };
}

const MISSING = (release: OpenEnvRelease) =>
  `the pinned ${release} venv is missing (${venvDir(release)}): run scripts/interop-venv.sh (or npm run interop)`;

/**
 * `describe` for suites that run against a pinned OpenEnv release: runs when its venv exists, and
 * also under CI=true (where `requireVenv` in the suite's beforeAll then FAILS); otherwise skips
 * with a message.
 */
export function describeWithOpenEnv(release: OpenEnvRelease): jest.Describe {
  if (findVenv(release) || process.env['CI']) return describe;
  console.warn(`${MISSING(release)}: skipping its interop tests (with CI=true they fail instead)`);
  return describe.skip;
}

/** The release's venv, or an Error naming what to run (for beforeAll: fails the suite under CI=true). */
export function requireVenv(release: OpenEnvRelease): OpenEnvVenv {
  const venv = findVenv(release);
  if (!venv) throw new Error(MISSING(release));
  return venv;
}

/** Directory of the Python fixtures (OpenEnv envs and client scripts). */
export const FIXTURES = repoPath('spec/interop/fixtures');
