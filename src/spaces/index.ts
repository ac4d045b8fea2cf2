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
export { spacesFromSchema, spacesOf, type EnvSpaces } from './spaces-of.js';
export { wireObservationSchema } from './wire-observation-schema.js';
