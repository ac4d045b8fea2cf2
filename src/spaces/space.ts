import type { Random } from '../internal/mulberry32.js';
import type { JsonSchema } from '../policies/json-schema.js';

/** Which Gymnasium space a JSON Schema maps to (see `spaceFromSchema`). */
export type SpaceKind = 'discrete' | 'box' | 'multi-discrete' | 'multi-binary' | 'dict' | 'tuple' | 'sequence' | 'one-of' | 'text' | 'json';

/**
 * What every space offers, as Gymnasium's `Space` does: a seeded `sample()` and `contains()`.
 * Both follow the space's JSON Schema (`schema`, with `$ref`s resolved against the document it
 * came from), so a sample is always contained and is a value the server accepts.
 */
export interface SpaceBase<T> {
  readonly kind: SpaceKind;
  /** The JSON Schema this space describes (a sub-schema of `/schema`'s action, observation or state). */
  readonly schema: JsonSchema;
  /**
   * A random member. `random` is a seed (a fresh `mulberry32(seed)`: the same seed gives the same
   * sample) or a generator of floats in [0, 1); without it the space's own generator (seeded by
   * `spaceFromSchema`'s `seed` option) is used, so successive samples differ.
   */
  sample(random?: Random | number): T;
  /** Whether `value` is a member: types, enums, bounds, required keys, no unknown keys where the schema forbids them. */
  contains(value: unknown): value is T;
}

/**
 * A finite set of choices (Gymnasium's `Discrete`): an integer range with both bounds, an `enum`,
 * a `const`, a boolean, or `null`. `n` members; `at(i)` is the i-th (`start + i` for a range, the
 * i-th enum member otherwise) and `indexOf(value)` the way back (-1 for a non-member), so a policy
 * that outputs an index can act on a labelled space.
 */
export interface DiscreteSpace<T = unknown> extends SpaceBase<T> {
  readonly kind: 'discrete';
  readonly n: number;
  /** The first integer of a range (Gymnasium's `start`); absent for enumerations. */
  readonly start?: number;
  /** The `index`-th member (`start + index` for a range). */
  at(index: number): T;
  /** The index of `value` among the members, -1 for a non-member. */
  indexOf(value: unknown): number;
}

/** Numbers (Gymnasium's `Box`): a scalar (`shape: []`) or a fixed-length array of numbers (`shape: [n]`, nested: `[n, m]`). Bounds may be infinite. */
export interface BoxSpace<T = unknown> extends SpaceBase<T> {
  readonly kind: 'box';
  readonly low: number;
  readonly high: number;
  readonly shape: readonly number[];
  /** `integer` items (Gymnasium's int dtype). */
  readonly integer: boolean;
}

/** A fixed-length array of finite choices (Gymnasium's `MultiDiscrete`): `nvec[i]` choices at position i. */
export interface MultiDiscreteSpace<T = unknown> extends SpaceBase<T> {
  readonly kind: 'multi-discrete';
  readonly nvec: readonly number[];
  readonly spaces: readonly DiscreteSpace[];
}

/** A fixed-length array of booleans (Gymnasium's `MultiBinary`). */
export interface MultiBinarySpace<T = unknown> extends SpaceBase<T> {
  readonly kind: 'multi-binary';
  readonly n: number;
}

/** An object (Gymnasium's `Dict`): a space per property; `required` ones are always present. */
export interface DictSpace<T = unknown> extends SpaceBase<T> {
  readonly kind: 'dict';
  readonly spaces: Readonly<Record<string, Space>>;
  readonly required: readonly string[];
}

/** A fixed sequence of differently typed items (`prefixItems`: Gymnasium's `Tuple`). */
export interface TupleSpace<T = unknown> extends SpaceBase<T> {
  readonly kind: 'tuple';
  readonly spaces: readonly Space[];
}

/** A variable-length array (Gymnasium's `Sequence`), `minLength`..`maxLength` items of `item`. */
export interface SequenceSpace<T = unknown> extends SpaceBase<T> {
  readonly kind: 'sequence';
  readonly item: Space;
  readonly minLength: number;
  readonly maxLength: number;
}

/** One of several spaces (`anyOf`/`oneOf`: Gymnasium's `OneOf`); a nullable field is one of its type and `null`. */
export interface OneOfSpace<T = unknown> extends SpaceBase<T> {
  readonly kind: 'one-of';
  readonly spaces: readonly Space[];
}

/** A string (Gymnasium's `Text`), `minLength`..`maxLength` characters, an optional `pattern`. */
export interface TextSpace<T = unknown> extends SpaceBase<T> {
  readonly kind: 'text';
  readonly minLength: number;
  readonly maxLength: number;
  readonly pattern?: string;
}

/** Any other schema (`{}`, `allOf`, an object of free keys): no Gymnasium counterpart, but `sample` and `contains` still honour it. */
export interface JsonSpace<T = unknown> extends SpaceBase<T> {
  readonly kind: 'json';
}

/** A space derived from a JSON Schema; switch on `kind` for its Gymnasium shape. */
export type Space<T = unknown> =
  | DiscreteSpace<T>
  | BoxSpace<T>
  | MultiDiscreteSpace<T>
  | MultiBinarySpace<T>
  | DictSpace<T>
  | TupleSpace<T>
  | SequenceSpace<T>
  | OneOfSpace<T>
  | TextSpace<T>
  | JsonSpace<T>;
