import type { Plugin } from 'esbuild';
/** Serves the package.json at this path to esbuild as `{ "version": … }` only. */
export function versionOnly(packageJsonPath: string): Plugin;
