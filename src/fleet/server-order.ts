/**
 * `envs` grouped by the server their session is on (its `url`), servers in order of first
 * appearance and index order within a server. Sessions without a string `url` stay apart, in
 * index order.
 *
 * Why: a vector step sends one frame per sub-env, and a pool hands out sessions in the order their
 * connections opened, so sub-env order scatters them over the servers. Sent server by server, a
 * server receives its frames back to back and reads them in one wakeup; scattered, each server wakes
 * for a frame or two at a time. On 2 cores with 4 server processes, N bare sockets stepping in
 * lockstep lose 2–8% when their frames are scattered the same way.
 *
 * @example
 * groupByServer([{ session: { url: 'a' } }, { session: { url: 'b' } }, { session: { url: 'a' } }])
 * // [{ session: { url: 'a' } }, { session: { url: 'a' } }, { session: { url: 'b' } }]
 */
export function groupByServer<E extends { readonly session: object | undefined }>(envs: readonly E[]): E[] {
  const groups = new Map<unknown, E[]>();
  for (const env of envs) {
    const url = (env.session as { url?: unknown } | undefined)?.url;
    const key = typeof url === 'string' ? url : env;
    const group = groups.get(key);
    if (group) group.push(env);
    else groups.set(key, [env]);
  }
  return [...groups.values()].flat();
}
