import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A 127.0.0.1 port nothing listens on (bound, then closed): connections are refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Writes a kubeconfig file in `dir` whose API server is `server`; returns its path. */
export function writeKubeconfig(dir: string, server: string, namespace?: string): string {
  const path = join(dir, 'kubeconfig');
  const context = namespace ? `    namespace: ${namespace}\n` : '';
  writeFileSync(
    path,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: ${server}\n    insecure-skip-tls-verify: true\n` +
      `users:\n- name: u\n  user:\n    token: not-used\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n${context}current-context: x\n`,
  );
  return path;
}
