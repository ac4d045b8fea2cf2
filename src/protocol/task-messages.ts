import { z } from 'zod';

/**
 * The task API of OpenEnv 0.10+ (ORS-compatible; served when the env implements the task
 * methods, else 501): `GET /list_environments`, `GET /{env}/splits`, `POST /{env}/tasks`,
 * `/num_tasks`, `/task`, `/task_range`. Tasks are env-defined JSON. Servers before 0.10 answer 404.
 */
export const ListEnvironmentsResponse = z.array(z.string());
export type ListEnvironmentsResponse = z.infer<typeof ListEnvironmentsResponse>;

/** One split: a string split on the server becomes `{ name, type }` (`type` train, validation or test). */
export const TaskSplit = z.object({ name: z.string(), type: z.string() }).loose();
export type TaskSplit = z.infer<typeof TaskSplit>;
/** `GET /{env}/splits`: the splits of an env. */
export const SplitsResponse = z.array(TaskSplit);

/** `POST /{env}/tasks` body `{ split }`. */
export const TasksResponse = z.object({ tasks: z.array(z.unknown()), env_name: z.string().optional() }).loose();
export type TasksResponse = z.infer<typeof TasksResponse>;

/** `POST /{env}/num_tasks` body `{ split }`. */
export const NumTasksResponse = z.object({ num_tasks: z.int().nonnegative() }).loose();
export type NumTasksResponse = z.infer<typeof NumTasksResponse>;

/** `POST /{env}/task` body `{ split, index }`; an index out of range is a 400. */
export const TaskResponse = z.object({ task: z.unknown() }).loose();
export type TaskResponse = z.infer<typeof TaskResponse>;

/** `POST /{env}/task_range` body `{ split, start?, stop? }` (Python slice bounds). */
export const TaskRangeResponse = z.object({ tasks: z.array(z.unknown()) }).loose();
export type TaskRangeResponse = z.infer<typeof TaskRangeResponse>;
