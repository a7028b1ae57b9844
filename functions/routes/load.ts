// Routes reach the function as a file in a Lambda layer (the environment's 4 KB could not hold them, and the
// function's code asset stays the same bytes): /opt/iot-prometheus-bridge/routes.json, read once at cold start.
import { ROUTES_FILE_VARIABLE } from '../interface/index.js';
import { readFileSync } from 'node:fs';
import type { Route, RouteConfig } from './model.js';
import { validateRoutes } from './validate.js';

/** Where the routes layer puts the file (a layer's content is extracted under /opt). */
export const DEFAULT_ROUTES_FILE = '/opt/iot-prometheus-bridge/routes.json';
/** Variable that points the function at another routes file (tests, `iotprom local`). */
export { ROUTES_FILE_VARIABLE };
/** Version of the routes.json layout. */
export const ROUTES_FILE_VERSION = 1;

/** The routes.json text for validated route configurations: only what the function reads. */
export function routesFileText(routes: readonly RouteConfig[]): string {
  const functionSide = routes.map(({ ruleName: _ruleName, sql: _sql, ...rest }) => rest);
  return `${JSON.stringify({ version: ROUTES_FILE_VERSION, routes: functionSide }, null, 2)}\n`;
}

/** Parses and validates the text of a routes file; errors name the file, the route and the option. */
export function parseRoutesFile(text: string, path: string): Route[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `routes file ${path}: not JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const document = json as { version?: unknown; routes?: unknown } | null;
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new Error(`routes file ${path}: expected {"version": ${ROUTES_FILE_VERSION}, "routes": [...]}`);
  }
  if (document.version !== ROUTES_FILE_VERSION) {
    throw new Error(
      `routes file ${path}: version ${JSON.stringify(document.version)} is not ${ROUTES_FILE_VERSION}`,
    );
  }
  try {
    return validateRoutes(document.routes);
  } catch (error) {
    throw new Error(`routes file ${path}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/**
 * The routes of this function: undefined when there is no routes file (the default route: every body is decoded
 * as before). A file that exists but is invalid throws, so the cold start fails loudly instead of dead-lettering
 * every message.
 */
export function loadRoutes(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Route[] | undefined {
  const path = env[ROUTES_FILE_VARIABLE] || DEFAULT_ROUTES_FILE;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !env[ROUTES_FILE_VARIABLE]) return undefined;
    throw new Error(`routes file ${path}: cannot be read: ${(error as Error).message}`);
  }
  return parseRoutesFile(text, path);
}
