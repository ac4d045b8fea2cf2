/**
 * `n` and the noun, in the plural unless `n` is 1: `plural(1, 'episode')` is `1 episode`,
 * `plural(3, 'session')` is `3 sessions`.
 */
export const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;
