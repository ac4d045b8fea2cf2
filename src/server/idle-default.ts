/**
 * How long a session (`/ws` or `openenv/session/create`) may sit without a message before the
 * server closes it and frees its slot: 10 minutes, far longer than an agent (an LLM included)
 * thinks between two steps, short enough that an abandoned notebook or a single unauthenticated
 * request gives the slot back. Its own file so the CLI can print it without loading the server.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 600_000;
