/**
 * Shared by the examples: the grid_world env kind, and where its sessions come from. With a URL
 * (`--url` or `OPENENV_URL`) the examples talk to that server (a container, a Hugging Face Space,
 * `openenv-rx serve grid_world`); without one they start the built-in TypeScript grid world in
 * this process, on 127.0.0.1, so they run anywhere with nothing installed.
 */
import type { Observable } from 'rxjs';
import { z } from 'zod';
import { defineEnv, inProcessEndpoint, type EnvSession } from '../src/index.js';
import { gridWorldEnv } from '../src/server/index.js';

export const MOVES = ['UP', 'DOWN', 'LEFT', 'RIGHT'] as const;
const MoveSchema = z.object({ action: z.enum(MOVES) });
const PositionSchema = z.object({ x: z.number(), y: z.number(), message: z.string() });
export type Move = z.infer<typeof MoveSchema>;
export type Position = z.infer<typeof PositionSchema>;

export const GridWorld = defineEnv({ name: 'grid_world', action: MoveSchema, observation: PositionSchema });
/** Sessions of `url`, or of an in-process grid world allowing `maxSessions` parallel sessions. */
export function gridWorldSessions(url: string | undefined, maxSessions = 1): Observable<EnvSession<Move, Position, unknown>> {
  return url ? GridWorld.connect(url) : GridWorld.fromEndpoint(inProcessEndpoint(gridWorldEnv, { maxSessions }));
}
