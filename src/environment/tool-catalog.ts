import type { z } from 'zod';
import { toPydanticJsonSchema } from '../internal/pydantic-json-schema.js';
import type { ToolDescriptor, ToolSet } from './tools.js';

type Json = Record<string, unknown>;

/** A tool's JSON Schemas, computed once per definition (never per call). */
export interface CatalogEntry extends ToolDescriptor {
  /** Non-object results travel wrapped as `{"result": value}` in structured content (FastMCP's rule). */
  wrapResult: boolean | undefined;
}

/**
 * FastMCP's `outputSchema`: an object schema as is, anything else wrapped in `{result}` and
 * marked `x-fastmcp-wrap-result`, so clients find structured content under `result`.
 */
function outputSchemaOf(output: z.ZodType | undefined): { schema: Json | null; wrap: boolean | undefined } {
  if (!output) return { schema: null, wrap: undefined };
  const json = toPydanticJsonSchema(output, { titles: false });
  if (json['type'] === 'object') return { schema: json, wrap: false };
  return {
    schema: {
      description: 'Generic wrapper for non-object return types.',
      properties: { result: json },
      required: ['result'],
      type: 'object',
      'x-fastmcp-wrap-result': true,
    },
    wrap: true,
  };
}

/**
 * Describes every tool of a set: input schemas without titles (as FastMCP prints them), output
 * schemas per `outputSchemaOf`. Throws when a schema cannot be expressed as JSON Schema.
 *
 * @example
 * buildToolCatalog({ echo: { input: z.strictObject({ message: z.string() }), handler: (a) => a.message } })
 * // Map { 'echo' => { name: 'echo', inputSchema: { type: 'object', ... }, outputSchema: null, ... } }
 */
export function buildToolCatalog(tools: ToolSet): ReadonlyMap<string, CatalogEntry> {
  const catalog = new Map<string, CatalogEntry>();
  for (const [name, tool] of Object.entries(tools)) {
    const output = outputSchemaOf(tool.output);
    catalog.set(name, {
      name,
      title: tool.title ?? null,
      description: tool.description ?? null,
      inputSchema: toPydanticJsonSchema(tool.input, { titles: false }),
      outputSchema: output.schema,
      wrapResult: output.wrap,
    });
  }
  return catalog;
}

/** Whether a result is wrapped: as the output schema says, else by its runtime shape. */
export function wrapsResult(entry: CatalogEntry | undefined, value: unknown): boolean {
  if (entry?.wrapResult !== undefined) return entry.wrapResult;
  return value === null || typeof value !== 'object' || Array.isArray(value);
}

/** The text block of a result: strings as they are, anything else as compact JSON. */
export function resultText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
}

/**
 * A successful tool result in OpenEnv's dialect (FastMCP's client-side `CallToolResult`, dumped
 * snake_case): what `call_tool` observations and OpenEnv-style `tools/call` answers carry.
 *
 * @example
 * openEnvToolResult('hi', true)
 * // { content: [{ type: 'text', text: 'hi', annotations: null, meta: null }], structured_content: { result: 'hi' }, meta: null, data: 'hi', is_error: false }
 */
export function openEnvToolResult(value: unknown, wrapped: boolean): Json {
  return {
    content: [{ type: 'text', text: resultText(value), annotations: null, meta: null }],
    structured_content: wrapped ? { result: value } : value,
    meta: null,
    data: value,
    is_error: false,
  };
}
