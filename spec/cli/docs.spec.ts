import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProgram } from '../../src/cli/program.js';
import { root } from './cli-child.js';

const doc = readFileSync(join(root, 'docs', 'cli.md'), 'utf8');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const mentions = (text: string, flag: string) => new RegExp(`(^|[^\\w-])${flag}(?![\\w-])`).test(text);

describe('docs/cli.md', () => {
  const program = createProgram();
  const commands = program.commands.map((c) => c.name());

  it.each(commands)('documents the %s command and every one of its flags', (name) => {
    const command = program.commands.find((c) => c.name() === name)!;
    expect(doc).toContain(`## \`${name}\``);
    for (const option of command.options) {
      expect({ flag: option.long, documented: mentions(doc, option.long!) }).toEqual({ flag: option.long, documented: true });
      if (option.short) expect(doc).toContain(`${option.short}, ${option.long}`);
    }
  });

  it('documents --version, and the README points to it', () => {
    expect(doc).toContain('--version');
    expect(readme).toContain('docs/cli.md');
  });

  it('the README command summary names every command and the rollout flags', () => {
    for (const name of commands) expect(readme).toContain(`openenv-rx ${name}`);
    const rollout = program.commands.find((c) => c.name() === 'rollout')!;
    // The summary may use the short form (-n, -s, -o, -H).
    for (const option of rollout.options) {
      const inReadme = mentions(readme, option.long!) || (option.short !== undefined && mentions(readme, option.short));
      expect({ flag: option.long, inReadme }).toEqual({ flag: option.long, inReadme: true });
    }
  });
});
