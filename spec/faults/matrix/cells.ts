/**
 * The fault matrix: every cell (driver × source × fault) that applies, in ONE table. Each cell is a
 * test under spec/faults/matrix/ (named by `cellName`), and a row of docs/failure-modes.md
 * (`spec/faults/matrix/matrix-docs.spec.ts` checks that the page shows exactly this table).
 */
export type Driver = 'rollouts' | 'vectorEnv' | 'collect' | 'cli rollout' | 'cli collect';
/**
 * `url list`: a fixed list of running servers (`urls.map(Env.connect)`; the CLI's `--url` takes one).
 * `processes`: servers the pool starts (`perServer(processEndpoint(...))`), `containers`: one
 * container per server or session (`--image`), `swarm`: one swarm service per session (`--swarm`).
 * `OpenEnv url list`: a fixed list of real OpenEnv servers (the pinned `openenv` release's
 * `create_app` under uvicorn, spec/faults/matrix/support/seq_env.py).
 */
export type Source = 'url list' | 'OpenEnv url list' | 'processes' | 'containers' | 'swarm';
export type Fault =
  | 'server SIGKILL'
  | 'server frozen (SIGSTOP)'
  | 'port closed before start'
  | 'capacity refused at schema time'
  | 'reply delayed past the timeout'
  | 'half-open socket'
  | 'container killed'
  | 'swarm task killed'
  | 'server restarted on the same port';

export interface Cell {
  driver: Driver;
  source: Source;
  fault: Fault;
  /** What the user sees. */
  sees: string;
  /** What the run does. */
  does: string;
}

const LOST = 'the episode in flight ends as failed';
const NOT_REPLAYED = 'never replayed';

// What each fault shows, per kind of driver (library runs report a typed error; the CLIs print and write it).
const KILLED_URL = {
  sees: `${LOST}: \`EpisodeFailedError\` (\`stepUnknown\` when a step was in flight), \`cause\` \`ERR_CONNECTION_CLOSED\` (1006)`,
  does: `the server is quarantined and re-probed with its own backoff; lost sessions go where capacity remains; the step is ${NOT_REPLAYED}; the restarted server is admitted again`,
};
const FROZEN = {
  sees: `${LOST}: \`cause\` \`ERR_TIMEOUT\` (\`phase: 'reply'\`, or \`'keepalive'\`/\`'connect'\` for idle and new sessions)`,
  does: 'the socket is discarded (its late reply can never be paired); new sessions go elsewhere while connects to it time out; after SIGCONT it serves again',
};
const RESTARTED = {
  sees: `${LOST}: \`cause\` \`ERR_CONNECTION_CLOSED\``,
  does: `sessions are replaced, on the new process once it listens; the step is ${NOT_REPLAYED}`,
};
const CLOSED_PORT = {
  sees: 'nothing while other servers have room: no episode fails (none was placed there)',
  does: 'the run starts on the reachable servers; the closed one is re-probed with its own backoff and used once it listens',
};
const DELAYED = {
  sees: `${LOST}: \`cause\` \`ERR_TIMEOUT\` \`phase: 'reply'\`, \`stepUnknown: true\``,
  does: `the socket is discarded, the late reply dropped with it; the session is replaced, on the same server (refused while the server still runs the late step, it waits for that slot: no limit learnt low, no extra server started); the step is ${NOT_REPLAYED}`,
};
const HALF_OPEN = {
  sees: `${LOST}: \`cause\` \`ERR_TIMEOUT\` (\`reply\` in flight, \`keepalive\` idle)`,
  does: 'the socket is terminated; the server may refuse the replacement while it still holds the dead slot (absorbed as a capacity refusal); once it notices, the server is used again',
};
const KILLED_PROCESS = {
  sees: `${LOST}: \`cause\` \`ERR_PROCESS_EXITED\` (\`signal: 'SIGKILL'\`; \`ERR_CONNECTION_CLOSED\` if the socket drop is reported first)`,
  does: 'the pool marks the server dead and starts another; lost sessions are placed on it',
};
const CONTAINER = {
  sees: `${LOST}: \`cause\` \`ERR_CONTAINER_EXITED\` (\`exitCode: 137\`; \`ERR_CONNECTION_CLOSED\` if the socket drop is reported first)`,
  does: 'the container is removed; the pool starts another for the lost sessions; no container with this run\'s labels is left',
};
const SWARM = {
  sees: `${LOST}: \`cause\` \`ERR_SWARM_TASK\` (the task failed; \`ERR_CONNECTION_CLOSED\` if the socket drop is reported first)`,
  does: 'the service is removed and another created for the lost session; no service with this run\'s labels is left',
};
const SCHEMA_CAPACITY = {
  sees: 'no error: the run waits for the slot another client holds',
  does: 'the schema request waits for capacity like a session does (never the false "does not serve /schema" `ERR_POLICY`); the run completes once the slot frees',
};
const toFailureLine = (sees: string) => sees.replace(/^the episode in flight ends as failed: (`EpisodeFailedError` \([^)]*\), )?`cause` /, 'the episode goes to `failures.jsonl` with `error.code` ');
const collectSees = (what: { sees: string }) => `${toFailureLine(what.sees)}, never \`ERR_POOL_CLOSED\``;
const cliSees = (what: { sees: string }) => `${toFailureLine(what.sees)}; the summary counts it under that code; exit 0`;

const row = (driver: Driver, source: Source, fault: Fault, what: { sees: string; does: string }): Cell => ({ driver, source, fault, ...what });
const LIBRARY: Driver[] = ['rollouts', 'vectorEnv', 'collect'];
/** A vector has all its sub-envs or none: it cannot go on at half width. */
const VECTOR_CLOSED_PORT = {
  sees: 'nothing: no sub-env fails',
  does: 'the vector waits for its `num` sessions (the closed server is re-probed with its own backoff) and starts once the server listens',
};
const forLibrary = (source: Source, fault: Fault, what: { sees: string; does: string }): Cell[] =>
  LIBRARY.map((driver) =>
    row(driver, source, fault, driver === 'collect' ? { ...what, sees: collectSees(what) } : driver === 'vectorEnv' && fault === 'port closed before start' ? VECTOR_CLOSED_PORT : what),
  );

/** Every applicable cell. A fault missing for a source does not apply there (e.g. a swarm task needs a swarm source). */
export const CELLS: readonly Cell[] = [
  ...forLibrary('url list', 'server SIGKILL', KILLED_URL),
  ...forLibrary('url list', 'server frozen (SIGSTOP)', FROZEN),
  ...forLibrary('url list', 'server restarted on the same port', RESTARTED),
  ...forLibrary('url list', 'port closed before start', CLOSED_PORT),
  ...forLibrary('url list', 'reply delayed past the timeout', DELAYED),
  ...forLibrary('url list', 'half-open socket', HALF_OPEN),
  ...forLibrary('processes', 'server SIGKILL', KILLED_PROCESS),
  ...forLibrary('processes', 'server frozen (SIGSTOP)', FROZEN),
  ...forLibrary('processes', 'reply delayed past the timeout', DELAYED),
  row('cli rollout', 'url list', 'capacity refused at schema time', SCHEMA_CAPACITY),
  row('cli rollout', 'url list', 'server restarted on the same port', {
    ...RESTARTED,
    sees: `${LOST}: its \`--json\` row says \`failed\` with the message, its last \`-o\` line \`error.cause\` \`ERR_CONNECTION_CLOSED\`; the summary counts it failed (never replayed, out of the return columns); exit 0`,
  }),
  row('cli collect', 'url list', 'server restarted on the same port', { ...RESTARTED, sees: cliSees(RESTARTED) }),
  row('cli collect', 'url list', 'server frozen (SIGSTOP)', { ...FROZEN, sees: cliSees(FROZEN) }),
  row('cli collect', 'url list', 'reply delayed past the timeout', {
    sees: cliSees(DELAYED),
    does: `the socket is discarded, the late reply dropped with it; the run goes on over the server's other sessions; the step is ${NOT_REPLAYED}`,
  }),
  row('cli collect', 'url list', 'capacity refused at schema time', SCHEMA_CAPACITY),
  row('rollouts', 'containers', 'container killed', CONTAINER),
  row('vectorEnv', 'containers', 'container killed', CONTAINER),
  row('collect', 'containers', 'container killed', { ...CONTAINER, sees: collectSees(CONTAINER) }),
  row('rollouts', 'swarm', 'swarm task killed', SWARM),
  row('rollouts', 'OpenEnv url list', 'server SIGKILL', KILLED_URL),
  row('rollouts', 'OpenEnv url list', 'server restarted on the same port', RESTARTED),
  row('cli collect', 'containers', 'container killed', { ...CONTAINER, sees: cliSees(CONTAINER) }),
  row('cli collect', 'swarm', 'swarm task killed', { ...SWARM, sees: cliSees(SWARM) }),
];

/** The test name of a cell: `<driver> over <source>: <fault>`. */
export const cellName = (cell: Pick<Cell, 'driver' | 'source' | 'fault'>): string => `${cell.driver} over ${cell.source}: ${cell.fault}`;

/** The cells of one driver and source. */
export const cellsOf = (driver: Driver, source: Source): Cell[] => CELLS.filter((c) => c.driver === driver && c.source === source);

/** The matrix as the markdown table of docs/failure-modes.md. */
export function cellsMarkdown(): string {
  const lines = ['| driver | source | fault | what you see | what the run does |', '|---|---|---|---|---|'];
  for (const c of CELLS) lines.push(`| ${c.driver} | ${c.source} | ${c.fault} | ${c.sees} | ${c.does} |`);
  return lines.join('\n');
}
