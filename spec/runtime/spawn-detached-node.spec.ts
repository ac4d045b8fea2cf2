import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnDetachedNode } from '../../src/runtime/spawn-detached-node.js';
import { pollUntil } from '../support/poll.js';

// The exit guards' cleanup child, for real: a node process in its own session, with our
// environment minus NODE_OPTIONS (jest runs with --experimental-vm-modules in it) plus the extras.

describe('spawnDetachedNode', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'openenv-rx-detached-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs node in a session of its own, without NODE_OPTIONS, with the extra variables', async () => {
    expect(process.env['NODE_OPTIONS']).toBeTruthy(); // what must not reach the child
    const file = join(dir, 'report.json');
    const program = `
      const stat = require('fs').readFileSync('/proc/self/stat', 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const report = { pid: process.pid, session: Number(fields[3]), nodeOptions: process.env.NODE_OPTIONS ?? null, extra: process.env.OPENENV_RX_EXTRA ?? null };
      require('fs').writeFileSync(process.argv[1] + '.part', JSON.stringify(report));
      require('fs').renameSync(process.argv[1] + '.part', process.argv[1]);`;
    spawnDetachedNode(['-e', program, file], { OPENENV_RX_EXTRA: 'passed' });
    await pollUntil(() => existsSync(file), 'the detached child to write its report', { timeoutMs: 30_000, intervalMs: 50 });
    const report = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; session: number; nodeOptions: string | null; extra: string | null };
    expect(report).toEqual({ pid: report.pid, session: report.pid, nodeOptions: null, extra: 'passed' }); // a session leader: setsid
  });
});
