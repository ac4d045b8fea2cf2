import type { AnyEnvDefinition } from '../environment/environment.js';
import { buildToolCatalog } from '../environment/tool-catalog.js';
import { ServeError } from '../errors/server-errors.js';
import { actionParserFor } from './action-parser.js';
import { bearerCheck } from './bearer-auth.js';
import { buildOpenApiDocument } from './openapi-document.js';
import { originGuard } from './origin-guard.js';
import { buildSchemaResponse } from './schema-response.js';
import type { ServerContext, ServerErrorInfo } from './server-context.js';
import { createSessionSlots } from './session-slots.js';

/** The options of `serve` that the request handlers read (already validated). */
export interface HandlerOptions {
  maxBodyBytes: number;
  maxJsonDepth: number;
  maxStatelessRequests: number;
  token?: string | undefined;
  allowedOrigins: string[];
}

/**
 * What every HTTP and WS handler of one server shares, computed once: the schema, metadata and
 * OpenAPI bodies, the action parser, the tool catalog, auth and origin checks, the stateless
 * slots, and `report` (the user's `onError`, which may not take the server down). No MCP backend
 * yet: `serve` adds it, since it needs the session slots.
 * Throws `ServeError` when the env's JSON Schema cannot be built.
 *
 * @example
 * const base = buildServerContext(gridWorldEnv, { maxBodyBytes: 1 << 20, maxJsonDepth: 256, maxStatelessRequests: 16, allowedOrigins: [] });
 * console.log(JSON.parse(base.schemaJson).action.type); // 'object'
 */
export function buildServerContext(
  definition: AnyEnvDefinition,
  options: HandlerOptions,
  onError?: (error: unknown, info: ServerErrorInfo) => void,
): Omit<ServerContext, 'mcpBackend'> {
  let schemaJson: string;
  let tools: ServerContext['tools'];
  try {
    schemaJson = JSON.stringify(buildSchemaResponse(definition));
    tools = definition.tools ? [...buildToolCatalog(definition.tools).values()].map(({ wrapResult: _w, ...d }) => d) : undefined;
  } catch (err) {
    throw new ServeError(`Cannot build the JSON Schema of ${definition.name}`, { env: definition.name }, { cause: err });
  }
  const title = definition.title ?? definition.name;
  return {
    definition,
    parseAction: actionParserFor(definition),
    tools,
    serverInfo: { name: definition.name, version: definition.version ?? '1.0.0' },
    schemaJson,
    metadataJson: JSON.stringify({
      name: title,
      description: definition.description ?? `${title} environment`,
      readme_content: definition.readme ?? null,
      version: definition.version ?? '1.0.0',
      author: definition.author ?? null,
      documentation_url: definition.documentationUrl ?? null,
    }),
    openapiJson: JSON.stringify(buildOpenApiDocument(definition.name, JSON.parse(schemaJson))),
    maxBodyBytes: options.maxBodyBytes,
    maxJsonDepth: options.maxJsonDepth,
    statelessSlots: createSessionSlots(options.maxStatelessRequests),
    isAuthorized: bearerCheck(options.token),
    checkOrigin: originGuard(options.allowedOrigins),
    report: (error, info) => {
      try {
        onError?.(error, info);
      } catch {
        // A throwing observer must not take the server down.
      }
    },
  };
}
