export { chatPolicy, DEFAULT_SYSTEM_PROMPT, type ChatPolicyOptions, type AgentPolicy } from './chat-policy.js';
export { scriptedTeacher, type ScriptedTeacherOptions } from './scripted-teacher.js';
export { agentToolsOf, actionAsTool, ACTION_TOOL_NAME, type AgentTool } from './agent-tools.js';
export { openaiBaseUrl } from './openai-base-url.js';
export type { OpenAICompatibleClient } from './chat-policy.js';
export { jsonObservation, type ObservationFormatter } from './episode-conversation.js';
export type { AgentAction } from './tool-action.js';
export { CallLimiter } from './call-limiter.js';
