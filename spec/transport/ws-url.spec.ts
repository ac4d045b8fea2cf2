import { ConnectionError } from '../../src/errors/index.js';
import { wsUrlFor } from '../../src/transport/ws-url.js';

describe('wsUrlFor', () => {
  it.each([
    ['http://127.0.0.1:8000', 'ws://127.0.0.1:8000/ws'],
    ['http://127.0.0.1:8000/', 'ws://127.0.0.1:8000/ws'],
    ['https://host.example', 'wss://host.example/ws'],
    ['https://host.example/spaces/env/', 'wss://host.example/spaces/env/ws'],
    ['http://127.0.0.1:8000/base?token=a', 'ws://127.0.0.1:8000/base/ws?token=a'],
  ])('%s → %s', (input, expected) => {
    expect(wsUrlFor(input)).toBe(expected);
  });

  it('rejects a URL that is not http(s)', () => {
    expect(() => wsUrlFor('ftp://127.0.0.1/')).toThrow(ConnectionError);
    expect(() => wsUrlFor('nope')).toThrow(/Invalid server URL/);
  });
});
