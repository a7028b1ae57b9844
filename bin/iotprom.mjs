#!/usr/bin/env node
// The `iotprom` command. It runs the TypeScript sources through tsx's ESM loader, so a fresh clone works
// after `npm ci` with no build step (tsx is installed by `npm ci`).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
const code = await main(process.argv.slice(2));
// Let stdout drain before exiting (a pipe may still hold the JSON summary).
process.stdout.write('', () => process.exit(code));
