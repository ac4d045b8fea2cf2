type JsonSchema = Record<string, unknown>;

/** Picks among alternatives and numbers. `firstChoice` is deterministic; `seededRng` makes it random. */
export interface SampleChooser {
  /** Index in [0, n). */
  index(n: number): number;
  /** A number in [min, max]; integers when `integer`. */
  number(min: number, max: number, integer: boolean): number;
}

export const firstChoice: SampleChooser = { index: () => 0, number: (min) => min };

export function randomChooser(random: () => number): SampleChooser {
  return {
    index: (n) => Math.floor(random() * n),
    number: (min, max, integer) => (integer ? min + Math.floor(random() * (max - min + 1)) : min + random() * (max - min)),
  };
}

const WORDS = ['hello', 'world', 'openenv', 'agent', 'step', 'reward', 'policy', 'episode'];

/**
 * Builds a value that satisfies a (pydantic- or zod-generated) JSON Schema: enum members and
 * consts, `anyOf`/`oneOf` branches, `$ref` into `$defs`, required object properties, numeric
 * bounds. With `firstChoice` (the default) the result is deterministic — `validate` uses it to
 * build a valid action; with `randomChooser` it is a uniform random action — the random policy.
 *
 * @example
 * sampleJsonSchema({ type: 'object', required: ['action'],
 *   properties: { action: { enum: ['UP', 'DOWN'] } } }) // { action: 'UP' }
 */
export function sampleJsonSchema(schema: JsonSchema, choose: SampleChooser = firstChoice, root: JsonSchema = schema, depth = 0): unknown {
  if (depth > 16) return null;
  const ref = schema['$ref'];
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    const target = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((node, key) => (node as JsonSchema | undefined)?.[key], root);
    return target && typeof target === 'object' ? sampleJsonSchema(target as JsonSchema, choose, root, depth + 1) : null;
  }
  if ('const' in schema) return schema['const'];
  if (Array.isArray(schema['enum']) && schema['enum'].length) return schema['enum'][choose.index(schema['enum'].length)];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = (schema[key] as JsonSchema[] | undefined)?.filter((o) => o['type'] !== 'null');
    if (options?.length) return sampleJsonSchema(options[choose.index(options.length)]!, choose, root, depth + 1);
  }
  if (Array.isArray(schema['allOf']) && schema['allOf'].length === 1) {
    return sampleJsonSchema(schema['allOf'][0] as JsonSchema, choose, root, depth + 1);
  }
  const type = Array.isArray(schema['type']) ? schema['type'].find((t) => t !== 'null') : schema['type'];
  switch (type) {
    case 'string': {
      if (choose === firstChoice && 'default' in schema) return schema['default'];
      const min = typeof schema['minLength'] === 'number' ? schema['minLength'] : 1;
      const max = typeof schema['maxLength'] === 'number' ? schema['maxLength'] : Infinity;
      let word = WORDS[choose.index(WORDS.length)] ?? 'a';
      while (word.length < min) word += 'a';
      return word.slice(0, Math.max(min, Math.min(max, word.length)));
    }
    case 'integer':
    case 'number': {
      const integer = type === 'integer';
      const min = typeof schema['minimum'] === 'number' ? schema['minimum'] : typeof schema['exclusiveMinimum'] === 'number' ? schema['exclusiveMinimum'] + (integer ? 1 : 1e-9) : 0;
      const max = typeof schema['maximum'] === 'number' ? schema['maximum'] : typeof schema['exclusiveMaximum'] === 'number' ? schema['exclusiveMaximum'] - (integer ? 1 : 1e-9) : min + 10;
      return choose.number(min, Math.max(min, max), integer);
    }
    case 'boolean':
      return choose.index(2) === 1;
    case 'array':
      return [];
    case 'null':
      return null;
    default: {
      if ('default' in schema) return schema['default'];
      const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
      const required = Array.isArray(schema['required']) ? (schema['required'] as string[]) : [];
      const out: Record<string, unknown> = {};
      for (const name of required) {
        const prop = properties[name];
        out[name] = prop ? sampleJsonSchema(prop, choose, root, depth + 1) : null;
      }
      return out;
    }
  }
}
