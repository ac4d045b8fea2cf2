export * from './http-messages.js';
export * from './ws-messages.js';
export * from './reward.js';
export * from './task-messages.js';
