import net from 'node:net';

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 by binding port 0, then releases it.
 * There is a small race: another process may take the port before the server binds it (the
 * server then fails to start and the runtime reports its exit with the log tail).
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
