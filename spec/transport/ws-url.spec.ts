import { InvalidUrlError } from '../../src/errors/index.js';
import { wsUrlFor } from '../../src/transport/ws-url.js';

describe('wsUrlFor', () => {
  it.each([
    ['http://127.0.0.1:8000', 'ws://127.0.0.1:8000/ws'],
    ['http://127.0.0.1:8000/', 'ws://127.0.0.1:8000/ws'],
    ['http://127.0.0.1:8000/ws', 'ws://127.0.0.1:8000/ws'],
    ['ws://127.0.0.1:8000/ws/', 'ws://127.0.0.1:8000/ws'],
    ['https://host.example', 'wss://host.example/ws'],
    ['https://host.example/spaces/env/', 'wss://host.example/spaces/env/ws'],
  ])('%s → %s', (input, expected) => {
    expect(wsUrlFor(input)).toBe(expected);
  });

  it('refuses what the one URL parser refuses, with InvalidUrlError', () => {
    expect(() => wsUrlFor('ftp://127.0.0.1/')).toThrow(InvalidUrlError);
    expect(() => wsUrlFor('nope')).toThrow(/Invalid server URL "nope"/);
    expect(() => wsUrlFor('http://127.0.0.1:8000/base?token=a')).toThrow(/Invalid server URL "http:\/\/127\.0\.0\.1:8000\/base\?\*\*\*": a query/);
  });
});
