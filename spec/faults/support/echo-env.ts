export { Echo } from '../../fixtures/typed-echo.js';

/** An action for step `i`. */
export const say = (i: number): { message: string } => ({ message: `m${i}` });
