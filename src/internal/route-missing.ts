import { HttpStatusError } from '../errors/protocol-errors.js';

/**
 * True for the 404/405 a generation-A OpenEnv server answers to `GET /schema` (it has no such
 * route): FastAPI's JSON `{"detail": ...}`, the sign of the legacy server whose HTTP routes share
 * one env. Anything else (401, 500, a lost connection, an HTML "not found" page of something that
 * is not an OpenEnv server) says nothing about the generation.
 */
export function isRouteMissing(error: unknown): boolean {
  return error instanceof HttpStatusError && (error.status === 404 || error.status === 405) && error.detail !== undefined;
}
