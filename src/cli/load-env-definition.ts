import type { AnyEnvDefinition } from '../environment/environment.js';
import { builtinEnvs } from '../envs/index.js';
import { UserModuleError } from '../errors/cli-errors.js';
import { UnknownEnvError } from '../errors/server-errors.js';
import { isRecord } from '../internal/is-record.js';
import { importUserModule, looksLikeModulePath } from './load-user-module.js';

/** What an env definition module must export, for the error message. */
const SHAPE = 'an env definition ({ name, action, observation, create }, see openenv-rx/server)';

function isDefinition(value: unknown): value is AnyEnvDefinition {
  return isRecord(value) && typeof value['name'] === 'string' && typeof value['create'] === 'function' && isRecord(value['action']) && isRecord(value['observation']);
}

/**
 * The env definition named by a CLI argument: a built-in name (`grid_world`), or the path of an ES
 * module (`./my-env.js`) whose default export, or else its only exported definition, is an env
 * definition as `openenv-rx/server` documents it (`defineServerEnv({...})`).
 */
export async function loadEnvDefinition(spec: string, flag: string): Promise<AnyEnvDefinition> {
  if (!looksLikeModulePath(spec)) {
    const builtin = Object.prototype.hasOwnProperty.call(builtinEnvs, spec) ? builtinEnvs[spec] : undefined;
    if (!builtin) throw new UnknownEnvError(spec, Object.keys(builtinEnvs), {});
    return builtin;
  }
  const module = await importUserModule(spec, flag);
  if (isDefinition(module['default'])) return module['default'];
  const exported = Object.values(module).filter(isDefinition);
  if (exported.length === 1) return exported[0]!;
  if (exported.length > 1) {
    throw new UserModuleError(flag, spec, `${flag} ${spec}: the module exports ${exported.length} env definitions (${exported.map((d) => d.name).join(', ')}); make the one to serve its default export`);
  }
  throw new UserModuleError(flag, spec, `${flag} ${spec}: the module must export ${SHAPE} as its default export`);
}
