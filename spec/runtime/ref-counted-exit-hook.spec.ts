import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refCountedExitHook } from '../../src/runtime/ref-counted-exit-hook.js';
import { holdInChild, killed } from '../fixtures/hold-in-child.js';

// The exit hook the Docker, swarm and Kubernetes guards share: counted per key, registered once,
// unregistered (process listeners gone) at zero; run for real in child processes that end by an
// unhandled signal and by process.exit.

describe('refCountedExitHook', () => {
  it('registers once per key however many hold it, and unregisters when the last holder releases (twice is once)', () => {
    const registered: string[] = [];
    const unregistered: string[] = [];
    const hold = refCountedExitHook((onExit) => {
      const name = String(onExit());
      registered.push(name);
      return () => unregistered.push(name);
    });
    const a1 = hold('a', () => 'a1');
    const a2 = hold('a', () => 'a2');
    const b = hold('b', () => 'b');
    expect(registered).toEqual(['a1', 'b']);
    a1();
    a1();
    expect(unregistered).toEqual([]); // a2 still holds `a`: the double release counted once
    a2();
    expect(unregistered).toEqual(['a1']);
    b();
    expect(unregistered).toEqual(['a1', 'b']);
    hold('a', () => 'a3')(); // released to zero before: registers anew
    expect(registered).toEqual(['a1', 'b', 'a3']);
    expect(unregistered).toEqual(['a1', 'b', 'a3']);
  });

  it("adds the process's exit and signal listeners while anything is held, and removes them at zero", () => {
    const counts = () => ['exit', 'SIGTERM', 'SIGINT', 'SIGHUP'].map((event) => process.listenerCount(event));
    const before = counts();
    const hold = refCountedExitHook();
    const first = hold('engine', () => undefined);
    const second = hold('engine', () => undefined);
    const other = hold('cluster', () => undefined);
    expect(counts()).toEqual(before.map((n) => n + 1)); // one listener each, however many holds
    first();
    second();
    expect(counts()).toEqual(before.map((n) => n + 1)); // `cluster` still held
    other();
    expect(counts()).toEqual(before);
  });

  describe('in a process that ends', () => {
    const children: ChildProcess[] = [];
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'openenv-rx-exit-hook-'));
    });
    afterAll(async () => {
      await Promise.all(children.map(killed));
      rmSync(dir, { recursive: true, force: true });
    });

    const ended = (child: ChildProcess) =>
      new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
        child.once('exit', (code, signal) => resolve({ code, signal }));
      });
    const ran = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').sort() : []);

    it('by a signal it does not handle: each held key runs its first callback once, a released one none, and the signal still kills it', async () => {
      const file = join(dir, 'signal');
      const { child } = await holdInChild<{ held: boolean }>('spec/fixtures/hold-exit-hooks.ts', [file, 'signal'], children);
      const exit = ended(child);
      child.kill('SIGTERM');
      expect(await exit).toEqual({ code: null, signal: 'SIGTERM' });
      expect(ran(file)).toEqual(['a-first', 'b']);
    }, 60_000);

    it('by process.exit: the same callbacks run, and the exit code is its own', async () => {
      const file = join(dir, 'exit');
      const { child } = await holdInChild<{ held: boolean }>('spec/fixtures/hold-exit-hooks.ts', [file, 'exit'], children);
      expect(await ended(child)).toEqual({ code: 3, signal: null });
      expect(ran(file)).toEqual(['a-first', 'b']);
    }, 60_000);
  });
});
