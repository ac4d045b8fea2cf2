/**
 * Marks `error` as a start failure that retrying cannot fix: the same start fails the same way
 * every time (no such image, a server that exits while starting, a swarm constraint no node
 * satisfies, an HTTP 404 for the env's routes). Sets `permanent: true` on it (an own, enumerable
 * property, so the copies `addContext` makes keep it) and returns it.
 *
 * @example
 * const start = throwError(() => markPermanent(new DockerError('Image no-such:image is not present locally', { image: 'no-such:image' })));
 * envPool(Echo.fromEndpoint(start), { size: 2 }).subscribe({
 *   error: (e) => console.log(e.code, e.attempts), // ERR_POOL_START 1: failed at once, not retried
 * });
 */
export function markPermanent<E extends Error>(error: E): E & { readonly permanent: true } {
  Object.defineProperty(error, 'permanent', { value: true, enumerable: true, writable: false, configurable: true });
  return error as E & { readonly permanent: true };
}

/**
 * True when a failed start can never succeed as it is (`markPermanent` marked it): pools and
 * `rollouts` fail at once with it instead of retrying. Transient failures (a connection refused
 * while a server boots, a timeout, a capacity refusal, an engine hiccup) are not permanent and are
 * retried within their budgets.
 *
 * @example
 * envPool(Env.fromDockerImage('no-such:image'), { size: 2 }).subscribe({
 *   error: (e) => console.log(isPermanentStartFailure(e.cause)), // true: it failed without a retry
 * });
 */
export function isPermanentStartFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { permanent?: unknown }).permanent === true;
}
