#!/usr/bin/env node
// The `iotprom` command. In the repository it runs the TypeScript sources through tsx's ESM loader, so a fresh
// clone works after `npm ci` with no build step; an installed package has no sources and no tsx, and runs the
// compiled CLI that `npm run build` (and `npm pack`) puts in dist/cli/.
import { existsSync } from 'node:fs';

const sources = new URL('../cli/main.ts', import.meta.url);
let main;
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(sources.href));
} else {
  ({ main } = await import('../dist/cli/main.mjs'));
}
const code = await main(process.argv.slice(2));
// Let stdout drain before exiting (a pipe may still hold the JSON summary).
process.stdout.write('', () => process.exit(code));
