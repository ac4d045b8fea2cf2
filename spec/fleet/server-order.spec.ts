import { groupByServer } from '../../src/fleet/server-order.js';

const env = (name: string, url?: unknown) => ({ name, session: url === undefined ? undefined : { url } });
const names = (envs: Array<{ name: string }>) => envs.map((e) => e.name);

describe('groupByServer', () => {
  it('groups sub-envs by their session url, servers in order of first appearance, index order within a server', () => {
    const envs = [env('0', 'http://b'), env('1', 'http://a'), env('2', 'http://b'), env('3', 'http://c'), env('4', 'http://a')];
    expect(names(groupByServer(envs))).toEqual(['0', '2', '1', '4', '3']);
  });

  it('keeps sub-envs without a session or without a string url apart, in their own places', () => {
    const envs = [env('0', 'http://a'), env('1'), env('2', 42), env('3', 'http://a'), env('4')];
    expect(names(groupByServer(envs))).toEqual(['0', '3', '1', '2', '4']);
  });

  it('returns a new array and leaves the input as it was', () => {
    const envs = [env('0', 'http://b'), env('1', 'http://a'), env('2', 'http://b')];
    const grouped = groupByServer(envs);
    expect(grouped).not.toBe(envs);
    expect(names(envs)).toEqual(['0', '1', '2']);
    expect(grouped).toHaveLength(3);
  });
});
