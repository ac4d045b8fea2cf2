import { defer, finalize, type Observable } from 'rxjs';
import type { z } from 'zod';
import {
  ListEnvironmentsResponse,
  NumTasksResponse,
  SplitsResponse,
  TaskRangeResponse,
  TaskResponse,
  TasksResponse,
  type TaskSplit,
} from '../protocol/task-messages.js';
import { createHttpClient } from './http-client.js';
import type { TransportOptions } from './transport.js';
import { resolveTransportOptions } from './transport-options.js';

/** OpenEnv's task API (servers of 0.10+): each method a cold Observable of one answer. */
export interface TaskApi {
  /** `GET /list_environments`: the env names this server serves (one, today). */
  environments(): Observable<string[]>;
  /** `GET /{env}/splits`: the task splits of `env` (`{ name, type }`, type train, validation or test). */
  splits(env: string): Observable<TaskSplit[]>;
  /** `POST /{env}/tasks`: every task of `split`, as the env defines them. */
  tasks(env: string, split: string): Observable<unknown[]>;
  /** `POST /{env}/num_tasks`: how many tasks `split` holds. */
  numTasks(env: string, split: string): Observable<number>;
  /** `POST /{env}/task`: the task at `index` of `split`. */
  task(env: string, split: string, index: number): Observable<unknown>;
  /** Python slice bounds: `start` inclusive, `stop` exclusive, either may be absent. */
  taskRange(env: string, split: string, range?: { start?: number; stop?: number }): Observable<unknown[]>;
}

/**
 * The task routes of an OpenEnv server at `url`. Each call is one HTTP request on its own
 * connection, closed when it answers or is unsubscribed. A server before 0.10 answers 404 and an
 * env without tasks 501 (`HttpStatusError`); a body of another shape is a `ResponseValidationError`.
 *
 * @example
 * const api = taskApi('http://127.0.0.1:8000');
 * api.environments().pipe(switchMap(([env]) => api.tasks(env!, 'train'))).subscribe(console.log);
 */
export function taskApi(url: string, options: TransportOptions = {}): TaskApi {
  const resolved = resolveTransportOptions(options);
  const call = <S, T>(method: 'GET' | 'POST', path: string, schema: z.ZodType<S>, map: (data: S) => T, body?: unknown): Observable<T> =>
    defer(() => {
      const client = createHttpClient(url, resolved, 'http');
      return client.request({ request: 'tasks', method, path, schema, map, ...(body !== undefined && { body }) }).pipe(finalize(() => client.close()));
    });
  const route = (env: string, name: string) => `${encodeURIComponent(env)}/${name}`;
  return {
    environments: () => call('GET', 'list_environments', ListEnvironmentsResponse, (names) => names),
    splits: (env) => call('GET', route(env, 'splits'), SplitsResponse, (splits) => splits),
    tasks: (env, split) => call('POST', route(env, 'tasks'), TasksResponse, (r) => r.tasks, { split }),
    numTasks: (env, split) => call('POST', route(env, 'num_tasks'), NumTasksResponse, (r) => r.num_tasks, { split }),
    task: (env, split, index) => call('POST', route(env, 'task'), TaskResponse, (r) => r.task, { split, index }),
    taskRange: (env, split, range = {}) => call('POST', route(env, 'task_range'), TaskRangeResponse, (r) => r.tasks, { split, ...range }),
  };
}
