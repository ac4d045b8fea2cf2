export type {
  BoxSpace,
  DictSpace,
  DiscreteSpace,
  JsonSpace,
  MultiBinarySpace,
  MultiDiscreteSpace,
  OneOfSpace,
  SequenceSpace,
  Space,
  SpaceBase,
  SpaceKind,
  TextSpace,
  TupleSpace,
} from './space.js';
export { spaceFromSchema, type SpaceOptions } from './space-from-schema.js';
/** The seeded generator `sample()` takes (floats in [0, 1)), as `mulberry32(seed)` makes one. */
export type { Random } from '../internal/mulberry32.js';
export { spacesFromSchema, spacesOf, type EnvSpaces } from './spaces-of.js';
export { wireObservationSchema } from './wire-observation-schema.js';
