/**
 * Every `code` an `OpenEnvError` carries, one per failure kind. Codes are stable across versions:
 * switch on them, not on messages. Each code belongs to exactly one class in `src/errors/`
 * (`ServerExitedError` carries two, one per runtime kind). Keep one code per line.
 *
 * @example
 * const retriable = (code: ErrorCode) => code === 'ERR_CONNECTION' || code === 'ERR_CAPACITY';
 */
export type ErrorCode =
  // connection-errors.ts
  | 'ERR_TIMEOUT'
  | 'ERR_CONNECTION'
  | 'ERR_CONNECTION_CLOSED'
  // protocol-errors.ts
  | 'ERR_ACTION_INVALID'
  | 'ERR_RESPONSE_INVALID'
  | 'ERR_PROTOCOL'
  | 'ERR_HTTP_STATUS'
  | 'ERR_SERVER'
  | 'ERR_CAPACITY'
  | 'ERR_SESSION_IDLE'
  | 'ERR_STATELESS_HTTP'
  | 'ERR_STATEFUL_SERVER_BUSY'
  // runtime-errors.ts
  | 'ERR_DOCKER_UNAVAILABLE'
  | 'ERR_CONTAINER_EXITED'
  | 'ERR_PROCESS_EXITED'
  | 'ERR_DOCKER'
  | 'ERR_PROCESS_REGISTRY'
  // server-errors.ts
  | 'ERR_SERVE'
  | 'ERR_UNKNOWN_ENV'
  | 'ERR_PAYLOAD_TOO_LARGE'
  // usage-errors.ts
  | 'ERR_POLICY'
  | 'ERR_SESSION_STATE'
  | 'ERR_INVALID_OPTION'
  | 'ERR_INVALID_URL'
  // action-rejected-error.ts
  | 'ERR_ACTION_REJECTED'
  // fleet-errors.ts
  | 'ERR_POOL_QUEUE_FULL'
  | 'ERR_POOL_CLOSED'
  | 'ERR_POOL_START'
  | 'ERR_EPISODE_FAILED'
  // swarm-errors.ts
  | 'ERR_SWARM_TASK'
  | 'ERR_SWARM_UNAVAILABLE'
  // kubernetes-errors.ts
  | 'ERR_K8S_POD'
  | 'ERR_K8S_IMAGE_PULL'
  | 'ERR_K8S_CRASH'
  | 'ERR_K8S_UNSCHEDULABLE'
  | 'ERR_K8S_OOM_KILLED'
  | 'ERR_K8S_EVICTED'
  | 'ERR_K8S_POD_DELETED'
  | 'ERR_K8S_API'
  // tool-errors.ts
  | 'ERR_TOOL'
  | 'ERR_JSON_RPC'
  | 'ERR_TOOL_ARGUMENTS'
  // io-errors.ts
  | 'ERR_TRAJECTORY_WRITE'
  // collect-errors.ts
  | 'ERR_COLLECT_OUTPUT'
  | 'ERR_COLLECT_MISMATCH'
  // report-errors.ts
  | 'ERR_REPORT_INPUT'
  | 'ERR_REPORT_OUTPUT'
  // agent-errors.ts
  | 'ERR_AGENT_REPLY'
  | 'ERR_LLM_REQUEST'
  | 'ERR_LLM_TIMEOUT'
  | 'ERR_OPTIONAL_DEPENDENCY'
  // cli-errors.ts
  | 'ERR_CLI_USAGE'
  | 'ERR_USER_MODULE'
  // conformance-errors.ts
  | 'ERR_CONFORMANCE';
