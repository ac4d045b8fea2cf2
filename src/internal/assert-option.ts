import { InvalidOptionError } from '../errors/usage-errors.js';

/** Throws an `InvalidOptionError` unless `value` is an integer >= `min` (skipped when `undefined` and optional). */
export function assertInteger(option: string, value: unknown, min: number, optional = true): void {
  if (value === undefined && optional) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(option, value, `an integer >= ${min}`);
  }
}

/** Throws an `InvalidOptionError` unless `value` is a finite number >= `min`. */
export function assertNumber(option: string, value: unknown, min: number, optional = true): void {
  if (value === undefined && optional) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidOptionError(option, value, `a finite number >= ${min}`);
  }
}

/** Throws an `InvalidOptionError` unless `value` is a function. */
export function assertFunction(option: string, value: unknown): void {
  if (typeof value !== 'function') throw new InvalidOptionError(option, value, 'a function');
}
