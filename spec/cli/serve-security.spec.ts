import { runCliChild, spawnCli, useCliServers } from './cli-child.js';

/**
 * `serve`'s security flags as a user meets them: a warning when the server is reachable beyond
 * this machine without a token, `--allowed-origin` for a hosted UI, `--idle-timeout 0`,
 * `--max-stateless`, and `--help` saying what the defaults are.
 */
describe('openenv-rx serve: security flags (real processes)', () => {
  const served = useCliServers();

  it('--host 0.0.0.0 without a token warns on stderr and says how to set one; with a token it does not', async () => {
    const open = await served(['echo', '--host', '0.0.0.0', '--port', '0']);
    await open.cli.waitFor(/warning/, 10_000);
    expect(open.cli.stderr()).toMatch(/warning: .*0\.0\.0\.0.* without a token/);
    expect(open.cli.stderr()).toContain('--token <secret>');
    expect(open.cli.stderr()).toContain('OPENENV_TOKEN');

    const guarded = await served(['echo', '--host', '0.0.0.0', '--port', '0', '--token', 'tok-1']);
    const local = await served(['echo', '--port', '0']);
    // Both printed their URL line (served waits for it); a warning is written before it.
    expect(guarded.cli.stderr()).not.toContain('warning');
    expect(local.cli.stderr()).not.toContain('warning');
  }, 90_000);

  it('--allowed-origin lets that origin in (repeatable), any other Origin is refused; --idle-timeout 0 and --max-stateless are accepted', async () => {
    const { url } = await served([
      'echo', '--port', '0', '--allowed-origin', 'http://127.0.0.1:5173', '--allowed-origin', 'https://ui.example.com', '--idle-timeout', '0', '--max-stateless', '2',
    ]);
    for (const origin of ['http://127.0.0.1:5173', 'https://ui.example.com']) {
      const res = await fetch(`${url}/schema`, { headers: { origin } });
      expect([origin, res.status, res.headers.get('access-control-allow-origin')]).toEqual([origin, 200, origin]);
    }
    expect((await fetch(`${url}/schema`, { headers: { origin: 'http://evil.example' } })).status).toBe(403);
  }, 90_000);

  it('--help names the defaults: idle timeout, stateless bound, origins, and the token warning', async () => {
    const { code, out } = await runCliChild(['serve', '--help']);
    expect(code).toBe(0);
    const text = out.replace(/\s+/g, ' ');
    expect(text).toContain('--idle-timeout <ms> close a session (/ws or MCP) after this many ms without a message, freeing its slot; 0 never (default 600000: 10 minutes)');
    expect(text).toContain('--allowed-origin <origin>');
    expect(text).toContain('--max-stateless <n>');
    expect(text).toMatch(/without --token .* warns/);
  }, 90_000);

  it('an invalid --allowed-origin fails with a clear message', async () => {
    const cli = spawnCli(['serve', 'echo', '--port', '0', '--allowed-origin', 'nope']);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain('allowedOrigins');
  }, 90_000);
});
