import type { SchemaResponse } from '../protocol/http-messages.js';

type Json = Record<string, unknown>;

/**
 * The `GET /openapi.json` document: OpenEnv's validator only needs a string `info.version`, but the
 * paths and the env's schemas are described too so generic OpenAPI tooling can drive the server.
 * `$defs` of the env schemas are hoisted into `components.schemas` (refs rewritten accordingly).
 *
 * @example
 * buildOpenApiDocument('grid_world', buildSchemaResponse(gridWorldEnv)).info.version // '1.0.0'
 */
export function buildOpenApiDocument(envName: string, schemas: SchemaResponse): Json & { info: { title: string; version: string; description: string } } {
  const components: Record<string, unknown> = {};
  const hoist = (name: string, schema: Json): Json => {
    const { $defs, ...rest } = schema as Json & { $defs?: Record<string, Json> };
    for (const [key, def] of Object.entries($defs ?? {})) components[key] = rewriteRefs(def);
    components[name] = rewriteRefs(rest);
    return { $ref: `#/components/schemas/${name}` };
  };
  const action = hoist('Action', schemas.action);
  const observation = hoist('Observation', schemas.observation);
  const state = hoist('State', schemas.state);
  const json = (schema: Json, description = 'Successful Response'): Json => ({
    description,
    content: { 'application/json': { schema } },
  });
  const stepResponse: Json = {
    type: 'object',
    required: ['observation', 'done'],
    properties: {
      observation: observation,
      reward: { anyOf: [{ type: 'number' }, { type: 'boolean' }, { type: 'null' }] },
      done: { type: 'boolean' },
    },
  };
  const validation = json({ type: 'object', properties: { detail: { type: 'array', items: { type: 'object' } } } }, 'Validation Error');
  return {
    openapi: '3.1.0',
    info: {
      title: 'OpenEnv Environment HTTP API',
      version: '1.0.0',
      description: `OpenEnv-compatible server (openenv-rx) for the ${envName} environment. Episodes run over WS /ws; HTTP reset/step/state are stateless.`,
    },
    paths: {
      '/health': { get: { summary: 'Health check', responses: { 200: json({ type: 'object' }) } } },
      '/metadata': { get: { summary: 'Get environment metadata', responses: { 200: json({ type: 'object' }) } } },
      '/schema': { get: { summary: 'Get all JSON schemas', responses: { 200: json({ type: 'object' }) } } },
      '/reset': {
        post: {
          summary: 'Reset the environment',
          requestBody: {
            required: false,
            content: {
              'application/json': {
                schema: { type: 'object', properties: { seed: { type: 'integer', minimum: 0 }, episode_id: { type: 'string', maxLength: 255 } } },
              },
            },
          },
          responses: { 200: json(stepResponse), 422: validation },
        },
      },
      '/step': {
        post: {
          summary: 'Execute an action in the environment',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['action'],
                  properties: { action, timeout_s: { type: 'number', exclusiveMinimum: 0 }, request_id: { type: 'string', maxLength: 255 } },
                },
              },
            },
          },
          responses: { 200: json(stepResponse), 422: validation },
        },
      },
      '/state': { get: { summary: 'Get current environment state', responses: { 200: json(state) } } },
      '/mcp': { post: { summary: 'MCP JSON-RPC endpoint', responses: { 200: json({ type: 'object' }) } } },
    },
    components: { schemas: components },
  };
}

function rewriteRefs(node: unknown): Json {
  return JSON.parse(JSON.stringify(node).replace(/"#\/\$defs\//g, '"#/components/schemas/')) as Json;
}
