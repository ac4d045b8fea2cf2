import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../../src/runtime/process/free-port.js';
import { ensureBuiltDist } from '../fixtures/built-dist.js';
import { repoPath } from '../fixtures/test-image.js';

// A fresh node process imports the BUILT main entry under a resolve hook that records every
// module URL (spec/fixtures/import-main-entry.mjs); the heavy parts must load only on first use.

interface Loaded {
  atImport: string[];
  afterConnect: string[];
  afterSubscribe: string[];
  afterHttp: string[];
}

const heavy = {
  dockerode: /\/node_modules\/dockerode\//,
  kubernetesClient: /\/node_modules\/@kubernetes\/client-node\//,
  kubernetesRuntime: /\/dist\/runtime\/kubernetes\/(?!pod-labels\.js$)/,
  // The server and the in-process runtime (only its lazy wrapper may load early: it imports types).
  server: /\/dist\/server\/(?!lazy-in-process-endpoint\.js$)/,
  dockerRuntime: /\/dist\/runtime\/docker\/docker-endpoint\.js$/,
  processRuntime: /\/dist\/runtime\/process-endpoint\.js$/,
  exitHook: /\/node_modules\/signal-exit\//,
};
const has = (urls: string[], pattern: RegExp): boolean => urls.some((url) => pattern.test(url));

let loaded: Loaded;

beforeAll(async () => {
  const entry = await ensureBuiltDist();
  const unreachable = `http://127.0.0.1:${await freePort()}`; // bound then released: refused
  const { stdout } = await promisify(execFile)(process.execPath, [repoPath('spec/fixtures/import-main-entry.mjs'), pathToFileURL(entry).href, unreachable], {
    cwd: repoPath(),
    timeout: 60_000,
  });
  loaded = JSON.parse(stdout.trim().split('\n').at(-1)!) as Loaded;
}, 180_000);

describe("import 'openenv-rx' (dist/index.js)", () => {
  it('the recorder sees the entry and its light dependencies', () => {
    expect(has(loaded.atImport, /\/dist\/index\.js$/)).toBe(true);
    expect(has(loaded.atImport, /\/node_modules\/rxjs\//)).toBe(true);
    expect(has(loaded.atImport, /\/dist\/session\/define-env\.js$/)).toBe(true);
  });

  it.each(Object.entries(heavy))('does not load %s at import', (_name, pattern) => {
    expect(loaded.atImport.filter((url) => pattern.test(url))).toEqual([]);
  });

  it.each(Object.entries(heavy))('a connect(url) session does not load %s either', (_name, pattern) => {
    expect(loaded.afterConnect.filter((url) => pattern.test(url))).toEqual([]);
  });

  it.each(Object.entries(heavy))('loads %s on the first subscribe to a runtime', (_name, pattern) => {
    expect(has(loaded.afterSubscribe, pattern)).toBe(true);
  });

  // got (HTTP) is the heaviest import left: a /ws session never needs it.
  const got = /\/node_modules\/got\//;
  it('loads got only with the first HTTP request, not at import nor for a /ws session', () => {
    expect(loaded.atImport.filter((url) => got.test(url))).toEqual([]);
    expect(loaded.afterConnect.filter((url) => got.test(url))).toEqual([]);
    expect(has(loaded.afterHttp, got)).toBe(true);
  });

  // openai is an optional peer dependency: only chatPolicy's first model call imports it.
  it('never loads openai (chatPolicy imports it on its first model call)', () => {
    const openai = /\/node_modules\/openai\//;
    expect([...loaded.atImport, ...loaded.afterConnect, ...loaded.afterSubscribe, ...loaded.afterHttp].filter((url) => openai.test(url))).toEqual([]);
  });
});
