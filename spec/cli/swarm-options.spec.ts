import { InvalidArgumentError } from 'commander';
import { parseCpus, parseMemory, swarmOptionsFromFlags } from '../../src/cli/options/swarm-options.js';

describe('swarm target flags', () => {
  it.each([
    ['536870912', 536_870_912],
    ['512m', 512 * 1024 ** 2],
    ['512MB', 512 * 1024 ** 2],
    ['1.5g', 1.5 * 1024 ** 3],
    ['2GiB', 2 * 1024 ** 3],
    ['64k', 64 * 1024],
    [' 4 m ', 4 * 1024 ** 2],
  ])('parseMemory(%j) is %d bytes (binary units, as docker reads them)', (text, bytes) => {
    expect(parseMemory(text)).toBe(bytes);
  });

  it.each(['', 'lots', '-1g', '0', '0.1b', '1x', '1gg'])('parseMemory(%j) is refused naming the value', (text) => {
    expect(() => parseMemory(text)).toThrow(InvalidArgumentError);
    expect(() => parseMemory(text)).toThrow(`got "${text}"`);
  });

  it('parseCpus takes cores > 0', () => {
    expect(parseCpus('0.5')).toBe(0.5);
    expect(parseCpus('2')).toBe(2);
    for (const bad of ['0', '-1', 'two', '', 'Infinity']) expect(() => parseCpus(bad)).toThrow(InvalidArgumentError);
  });

  it('maps the flags onto fromSwarmService options: docker\'s spread= prefix dropped, pull never unless if-missing, token from --token or $OPENENV_TOKEN', () => {
    const saved = process.env['OPENENV_TOKEN'];
    try {
      delete process.env['OPENENV_TOKEN'];
      expect(swarmOptionsFromFlags({ swarm: true, image: 'img', pull: 'never' })).toEqual({ pull: 'never' });
      expect(
        swarmOptionsFromFlags({
          swarm: true, image: 'img', pull: 'if-missing', token: 't1', constraint: ['node.role==worker', 'node.labels.pool==envs'],
          placementPref: ['spread=node.labels.zone', 'node.labels.rack'], limitCpu: 1, limitMemory: 2048, reserveCpu: 0.5, reserveMemory: 1024,
        }),
      ).toEqual({
        pull: 'if-missing',
        token: 't1',
        constraints: ['node.role==worker', 'node.labels.pool==envs'],
        preferences: ['node.labels.zone', 'node.labels.rack'],
        resources: { cpus: 1, memoryBytes: 2048, reserveCpus: 0.5, reserveMemoryBytes: 1024 },
      });
      process.env['OPENENV_TOKEN'] = 'from-env';
      expect(swarmOptionsFromFlags({ swarm: true, image: 'img' })).toEqual({ pull: 'never', token: 'from-env' });
      expect(swarmOptionsFromFlags({ image: 'img' })).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env['OPENENV_TOKEN'];
      else process.env['OPENENV_TOKEN'] = saved;
    }
  });
});
