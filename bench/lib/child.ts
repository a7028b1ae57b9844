// Every measurement runs in a child process on the Node.js that Lambda runs the function on (nodejs24.x, from
// scripts/runtime-node.mjs), not on the build machine's: start-up, JIT and heap behave differently across majors.
// A child also gives a clean process (a fresh heap for peak RSS, the environment set before the handler bundle is
// imported, a cold module cache). The child's TypeScript is bundled with esbuild into .tmp/bench-run/ and run by
// plain `node`: a TypeScript loader in the child would add its own memory and start-up time to the figures.
import { build } from 'esbuild';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const handlerBundle = join(projectRoot, 'dist', 'ingest', 'index.mjs');
const outDir = join(projectRoot, '.tmp', 'bench-run');

// A plain .mjs without type declarations, so it is loaded by URL and typed here.
const { runtimeNode } = (await import(
  pathToFileURL(join(projectRoot, 'scripts', 'runtime-node.mjs')).href
)) as {
  runtimeNode: () => string;
};

/** The `node` binary of the function's runtime; every benchmark child runs on it. */
export const benchNode: string = runtimeNode();

const compiled = new Map<string, Promise<string>>();

/** Bundles a TypeScript entry (path relative to the project) into a plain ES module; node_modules stay external. */
export function compileChild(entry: string): Promise<string> {
  let done = compiled.get(entry);
  if (done === undefined) {
    const outfile = join(outDir, basename(entry).replace(/\.ts$/, '.mjs'));
    mkdirSync(outDir, { recursive: true });
    done = build({
      entryPoints: [join(projectRoot, entry)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    }).then(() => outfile);
    compiled.set(entry, done);
  }
  return done;
}

export interface ChildOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly nodeArgs?: readonly string[];
  readonly args?: readonly string[];
  /** Show the child's stdout (the handler writes its logs and EMF metrics there). @default false */
  readonly showStdout?: boolean;
  readonly timeoutMs?: number;
}

/** Runs a compiled child and resolves with the last value it sent over IPC. */
export async function runChild<T>(entry: string, options: ChildOptions = {}): Promise<T> {
  const file = await compileChild(entry);
  return new Promise<T>((resolve, reject) => {
    const child = spawn(benchNode, [...(options.nodeArgs ?? []), file, ...(options.args ?? [])], {
      cwd: projectRoot,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', options.showStdout === true ? 'inherit' : 'ignore', 'inherit', 'ipc'],
    });
    let result: { value: T } | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('message', (message) => {
      result = { value: message as T };
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result !== undefined) resolve(result.value);
      else reject(new Error(`${entry} exited (code ${code}, signal ${signal}) without a result`));
    });
  });
}

/** Formats a report the way `npm test`'s `prettier --check .` expects it. */
export function formatMarkdown(path: string): void {
  execFileSync(
    process.execPath,
    [join(projectRoot, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--write', path],
    {
      stdio: 'ignore',
    },
  );
}
