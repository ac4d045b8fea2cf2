import { InvalidOptionError } from '../../errors/index.js';
import { assertFunction, assertInteger, assertNumber } from '../../internal/assert-option.js';
import type { SwarmEndpointOptions } from './swarm-endpoint-options.js';

function assertStrings(option: string, value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.trim() === '')) {
    throw new InvalidOptionError(option, value, 'an array of non-empty strings');
  }
}

function assertStringRecord(option: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw new InvalidOptionError(option, value, 'an object of string values');
  }
}

function assertPositive(option: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new InvalidOptionError(option, value, 'a finite number > 0');
}

/**
 * Checks everything `swarmEndpoint` is given before anything is created: a bad value is an
 * `InvalidOptionError` naming the field (`resources.cpus`, `constraints`, ...).
 */
export function validateSwarmOptions(image: unknown, options: SwarmEndpointOptions): void {
  if (typeof image !== 'string' || image.trim() === '') {
    throw new InvalidOptionError('image', image, 'a non-empty image name');
  }
  assertInteger('containerPort', options.containerPort, 1);
  if (options.containerPort !== undefined && options.containerPort > 65_535) {
    throw new InvalidOptionError('containerPort', options.containerPort, 'an integer from 1 to 65535');
  }
  assertStringRecord('env', options.env);
  assertStrings('cmd', options.cmd);
  if (options.pull !== undefined && options.pull !== 'never' && options.pull !== 'if-missing') {
    throw new InvalidOptionError('pull', options.pull, "'never' or 'if-missing'");
  }
  if (options.token !== undefined && options.token !== false && (typeof options.token !== 'string' || options.token.trim() === '' || /\s/.test(options.token))) {
    throw new InvalidOptionError('token', '(not shown)', 'a non-empty string without whitespace, or false');
  }
  assertStrings('constraints', options.constraints);
  assertStrings('preferences', options.preferences);
  assertStrings('networks', options.networks);
  assertStringRecord('labels', options.labels);
  if (options.resources !== undefined) {
    if (typeof options.resources !== 'object' || options.resources === null) throw new InvalidOptionError('resources', options.resources, 'an object');
    for (const key of ['cpus', 'memoryBytes', 'reserveCpus', 'reserveMemoryBytes'] as const) assertPositive(`resources.${key}`, options.resources[key]);
  }
  if (options.nodeAddress !== undefined) assertFunction('nodeAddress', options.nodeAddress);
  if (options.addressFamily !== undefined && options.addressFamily !== 'ipv4' && options.addressFamily !== 'ipv6') {
    throw new InvalidOptionError('addressFamily', options.addressFamily, "'ipv4' or 'ipv6'");
  }
  assertNumber('healthIntervalMs', options.healthIntervalMs, 1);
  assertNumber('startTimeoutMs', options.startTimeoutMs, 1);
  if (options.schedulingTimeoutMs !== Infinity) assertNumber('schedulingTimeoutMs', options.schedulingTimeoutMs, 0);
  assertNumber('taskPollIntervalMs', options.taskPollIntervalMs, 1);
  assertNumber('watchIntervalMs', options.watchIntervalMs, 1);
  assertNumber('stopGraceS', options.stopGraceS, 0);
  assertNumber('stopTimeoutMs', options.stopTimeoutMs, 1);
  assertInteger('logTailLines', options.logTailLines, 0);
}
