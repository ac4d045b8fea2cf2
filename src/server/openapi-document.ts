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
  // OpenEnv's responses carry the observation as a plain dict: a reset observation (a tool env's
  // `{}`) or a list_tools one need not match the env's Observation model, which /schema holds.
  const stepResponse: Json = {
    type: 'object',
    required: ['observation', 'done'],
    properties: {
      observation: { type: 'object', description: `The env's observation (see ${observation['$ref']} and GET /schema)` },
      reward: { anyOf: [{ type: 'number' }, { type: 'boolean' }, { type: 'null' }] },
      done: { type: 'boolean' },
    },
  };
  const httpState: Json = {
    type: 'object',
    required: ['episode_id', 'step_count'],
    properties: { episode_id: nullable({ type: 'string' }), step_count: { type: 'integer', minimum: 0 } },
    description: `The HTTP view of the state; the full state over WS /ws is ${state['$ref']}`,
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
                schema: { type: 'object', properties: { seed: nullable({ type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), episode_id: nullable({ type: 'string', maxLength: 255 }) } },
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
                  properties: { action, timeout_s: nullable({ type: 'number', exclusiveMinimum: 0 }), request_id: nullable({ type: 'string', maxLength: 255 }) },
                },
              },
            },
          },
          responses: { 200: json(stepResponse), 422: validation },
        },
      },
      // Over HTTP the env-specific fields are stripped (as on OpenEnv servers); /ws keeps them (the State schema).
      '/state': { get: { summary: 'Get current environment state', responses: { 200: json(httpState) } } },
      '/mcp': { post: { summary: 'MCP JSON-RPC endpoint', responses: { 200: json({ type: 'object' }) } } },
    },
    components: { schemas: components },
  };
}

/** Pydantic's `Optional[...]`: the server accepts `null` for these fields, so the document says so. */
function nullable(schema: Json): Json {
  return { anyOf: [schema, { type: 'null' }] };
}

function rewriteRefs(node: unknown): Json {
  return JSON.parse(JSON.stringify(node).replace(/"#\/\$defs\//g, '"#/components/schemas/')) as Json;
}
