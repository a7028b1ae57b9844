#!/usr/bin/env node
// The Node.js that Lambda runs the function on (nodejs24.x), taken from the npm registry's node-linux-<cpu>
// package at a pinned version, checked against its pinned integrity and cached under .tmp/. Tests of the
// bundle and the benchmarks run on it, so they measure the runtime the stack deploys, not the build machine's.
// `node scripts/runtime-node.mjs` prints its path; `import { runtimeNode } from './runtime-node.mjs'` returns it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RUNTIME_NODE_VERSION = '24.22.3';

/** npm's `dist.integrity` of each package, so a changed tarball is refused rather than run. */
const INTEGRITY = {
  x64: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
  arm64: 'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==',
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Path of the runtime's `node` binary for this machine's CPU, fetched on first use. RUNTIME_NODE overrides it. */
export function runtimeNode(cpu = process.arch) {
  if (process.env.RUNTIME_NODE) return process.env.RUNTIME_NODE;
  const integrity = INTEGRITY[cpu];
  if (!integrity)
    throw new Error(`no runtime Node is pinned for CPU ${cpu}; set RUNTIME_NODE to a Node 24 binary`);
  const dir = join(root, '.tmp', `node-v${RUNTIME_NODE_VERSION}-linux-${cpu}`);
  const binary = join(dir, 'bin', 'node');
  if (!existsSync(binary)) fetchInto(dir, cpu, integrity);
  return binary;
}

function fetchInto(dir, cpu, integrity) {
  // Unpacked aside and renamed into place: two test runs starting at once never see half a binary.
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const spec = `node-linux-${cpu}@${RUNTIME_NODE_VERSION}`;
  const out = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', partial], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const tarball = join(partial, out.trim().split('\n').pop());
  const [algorithm, expected] = integrity.split('-', 2);
  const actual = createHash(algorithm).update(readFileSync(tarball)).digest('base64');
  if (actual !== expected) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(`${spec}: integrity ${algorithm}-${actual} differs from the pinned ${integrity}`);
  }
  execFileSync('tar', ['xzf', tarball, '-C', partial, '--strip-components=1']);
  rmSync(tarball);
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(runtimeNode(process.argv[2]));
}
