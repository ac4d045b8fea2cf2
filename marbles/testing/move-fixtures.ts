import { TestScheduler } from 'rxjs/testing';

/** Shared by the fakeSession and episodes marble specs: a one-dimensional walk. */
export interface Move {
  move: string;
}
export interface Pos {
  x: number;
}
/** r: the reset, a: a step, b: the step that ends the episode. */
export const values = {
  r: { observation: { x: 0 } },
  a: { observation: { x: 1 }, reward: 0 },
  b: { observation: { x: 2 }, reward: 1, done: true },
};
export const right = (): Move => ({ move: 'right' });
export const newScheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
