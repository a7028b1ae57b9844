// The one definition of how the ingest Lambda is built. `npm run build` and the CDK construct both use it
// (bundleIngest() and bundleIngestSync() run the same esbuild child with the same options), so the bytes the
// tests exercise are the bytes that ship. Nothing here loads esbuild into this process: the compiled construct
// imports this module from an installed package, where esbuild is not present.
import type { BuildOptions } from 'esbuild';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'iot-prometheus-bridge';

/** The package's root: the folder of its package.json, in the repository and in an installed copy (lib/ inside). */
function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME
    ) {
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`no package.json of ${PACKAGE_NAME} above ${start}`);
  }
}

export const projectRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** CPU architectures the bundle can be built for (Lambda's `arm64` and `x86_64`). */
export type BundleCpu = 'arm64' | 'x64';

/** Both, in the order `npm run build` builds them. */
export const BUNDLE_CPUS: readonly BundleCpu[] = ['arm64', 'x64'];

export interface BundleIngestOptions {
  /** Folder that receives `index.mjs`, its source map and `node_modules/` with the snappy binary. */
  readonly outDir: string;
  /** CPU of the machine that will run the bundle. @default the build host's CPU */
  readonly cpu?: BundleCpu;
}

/** Node.js version the bundle's syntax targets: the oldest Lambda runtime the stack may select. */
export const INGEST_NODE_TARGET = 'node22';

/** Lambda's name of the architecture (`arm64`, `x86_64`). */
export function lambdaArchitectureName(cpu: BundleCpu): string {
  return cpu === 'x64' ? 'x86_64' : 'arm64';
}

/** Where `npm run build` puts the bundle for a Lambda of this CPU; the package ships these two folders. */
export function prebuiltIngestDir(cpu: BundleCpu): string {
  return join(projectRoot, 'dist', `ingest-${lambdaArchitectureName(cpu)}`);
}

/** True in the repository (the function's sources are here); false in an installed package. */
export function ingestSourcesPresent(): boolean {
  return existsSync(join(projectRoot, 'functions', 'ingest', 'index.ts'));
}

/** Module path of the snappy native binary for a Linux (glibc, as on Lambda) machine with the given CPU. */
export function snappyBinaryModule(cpu: BundleCpu): string {
  return `@napi-rs/snappy-linux-${cpu}-gnu/snappy.linux-${cpu}-gnu.node`;
}

/**
 * Built-ins the bundle imports through a file of functions/ingest/builtins/ instead. Node builds an ES module
 * facade for a built-in the first time one is imported, and the facade calls every getter of its exports (fs's load
 * its streams and promises API, util's a dozen modules); process.getBuiltinModule() does not. fs.cjs is CommonJS,
 * which esbuild reads property by property at use; util.ts and module.ts name the few exports the bundle uses.
 */
export const BUILTIN_SHIMS: Readonly<Record<string, string>> = {
  fs: 'fs.cjs',
  module: 'module.ts',
  util: 'util.ts',
};
/** Their subpaths, which an alias of the name would catch too; listed rather than read from the build's Node. */
const BUILTIN_SUBPATHS = ['fs/promises', 'util/types'];

function builtinAliases(): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const [name, file] of Object.entries(BUILTIN_SHIMS)) {
    aliases[name] = aliases[`node:${name}`] = join(projectRoot, 'functions', 'ingest', 'builtins', file);
  }
  // An alias also catches the paths below its name: fs/promises and the like stay themselves.
  for (const id of BUILTIN_SUBPATHS) {
    aliases[id] = id;
    aliases[`node:${id}`] = `node:${id}`;
  }
  return aliases;
}

export function ingestEsbuildOptions(outDir: string, cpu: BundleCpu = hostCpu()): BuildOptions {
  return {
    entryPoints: [join(projectRoot, 'functions/ingest/index.ts')],
    outdir: outDir,
    // The handler loads the AWS SDK clients it needs with import(): splitting puts them in chunks of their own,
    // so a cold start reads only what its configuration uses.
    splitting: true,
    entryNames: 'index',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: INGEST_NODE_TARGET,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'none',
    // The native snappy binary cannot be bundled; it is copied beside. The bundle loads it directly
    // (functions/pipeline/snappy-binding.ts) instead of through the `snappy` package's platform-probing loader.
    // bowser: the AWS SDK's browser user-agent parser, reached only by a dynamic import() in code the bundle does
    // not keep; esbuild still wrote its 35 KB chunk, which nothing loads.
    external: ['@napi-rs/*', 'bowser'],
    alias: { snappy: join(projectRoot, 'functions/pipeline/snappy-binding.ts'), ...builtinAliases() },
    define: { SNAPPY_NATIVE_BINARY: JSON.stringify(snappyBinaryModule(cpu)) },
    // Bundled CommonJS dependencies call require() for Node built-ins; ESM output has no require of its own.
    // getBuiltinModule rather than an import of node:module, for the reason BUILTIN_SHIMS says.
    banner: {
      js: "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);",
    },
    mainFields: ['module', 'main'],
    logLevel: 'warning',
  };
}

/**
 * Everything that decides the bundle's bytes apart from the source files and the lock file, with machine-specific
 * paths removed, so an asset hash built from it is the same on every checkout.
 */
export function ingestBuildDescriptor(cpu: BundleCpu): string {
  const options = JSON.stringify(ingestEsbuildOptions('/asset-output', cpu)).split(projectRoot).join('.');
  const snappy = lockedPackage(snappyPackageName(cpu));
  return JSON.stringify({ cpu, esbuild: JSON.parse(options) as unknown, snappy });
}

export function hostCpu(): BundleCpu {
  if (process.arch === 'arm64' || process.arch === 'x64') return process.arch;
  throw new Error(`unsupported build host CPU ${process.arch}`);
}

function snappyPackageName(cpu: BundleCpu): string {
  return `@napi-rs/snappy-linux-${cpu}-gnu`;
}

interface LockedPackage {
  readonly version: string;
  readonly integrity: string;
}

/** The version and integrity package-lock.json records for a package (optional platform packages included). */
export function lockedPackage(name: string): LockedPackage {
  const lock = JSON.parse(readFileSync(join(projectRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, Partial<LockedPackage>>;
  };
  const entry = lock.packages[`node_modules/${name}`];
  if (!entry?.version || !entry.integrity)
    throw new Error(`package-lock.json has no version and integrity of ${name}`);
  return { version: entry.version, integrity: entry.integrity };
}

/** Checks bytes against an SRI string (`sha512-<base64>`, as npm records it); throws naming both on a mismatch. */
export function checkIntegrity(what: string, bytes: Buffer, integrity: string): void {
  const [algorithm, expected] = integrity.split('-', 2) as [string, string];
  const actual = createHash(algorithm).update(bytes).digest('base64');
  if (actual !== expected) {
    throw new Error(
      `${what}: integrity ${algorithm}-${actual} differs from package-lock.json's ${integrity}`,
    );
  }
}

/**
 * The folder of `@napi-rs/snappy-linux-<cpu>-gnu` exactly as package-lock.json pins it: the tarball is fetched
 * with `npm pack` (the npm cache serves repeats), checked against the lock file's integrity and unpacked into a
 * cache folder named after that integrity, so a changed lock entry never reuses an older copy.
 */
function snappyPackageDir(cpu: BundleCpu): string {
  const name = snappyPackageName(cpu);
  const { version, integrity } = lockedPackage(name);
  const key = createHash('sha256').update(integrity).digest('hex').slice(0, 16);
  const cache = join(projectRoot, '.tmp', 'snappy', `${name.replace('/', '+')}-${version}-${key}`);
  if (existsSync(join(cache, 'package.json'))) return cache;
  // Unpacked aside and renamed into place: two synths running at once must never see a half-written cache.
  const partial = `${cache}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  try {
    const out = execFileSync(
      'npm',
      ['pack', `${name}@${version}`, '--silent', '--pack-destination', partial],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const tarball = join(partial, out.trim().split('\n').pop()!);
    checkIntegrity(`${name}@${version}`, readFileSync(tarball), integrity);
    execFileSync('tar', ['xzf', tarball, '-C', partial, '--strip-components=1']);
    rmSync(tarball);
    renameSync(partial, cache);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    // Another build may have won the race; its copy is as good as ours.
    if (!existsSync(join(cache, 'package.json'))) throw error;
  }
  return cache;
}

function prepareOutDir(outDir: string): void {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
}

/** Copies the native binary's package; the `snappy` package itself (its loader) is not needed at run time. */
function copySnappy(cpu: BundleCpu, outDir: string): void {
  cpSync(snappyPackageDir(cpu), join(outDir, 'node_modules', snappyPackageName(cpu)), { recursive: true });
}

/**
 * A private folder at a fixed depth inside the project to build in: source maps name the sources relative to the
 * output folder, and chunk names hash the source maps, so building in place would give other bytes in every
 * output folder (a CDK asset folder, a temporary folder, dist/).
 */
function stagingDir(): string {
  const dir = join(
    projectRoot,
    '.tmp',
    'ingest-build',
    `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
  );
  mkdirSync(dir, { recursive: true });
  return dir;
}

function moveBuild(staging: string, outDir: string): void {
  cpSync(staging, outDir, { recursive: true });
  rmSync(staging, { recursive: true, force: true });
}

const ESBUILD_CHILD = join(projectRoot, 'scripts', 'esbuild-ingest.mjs');

function childInput(staging: string, cpu: BundleCpu): string {
  return JSON.stringify({
    options: ingestEsbuildOptions(staging, cpu),
    packageJsonPath: join(projectRoot, 'package.json'),
  });
}

export async function bundleIngest(options: BundleIngestOptions): Promise<void> {
  const cpu = options.cpu ?? hostCpu();
  prepareOutDir(options.outDir);
  const staging = stagingDir();
  const child = spawn(process.execPath, [ESBUILD_CHILD], { stdio: ['pipe', 'inherit', 'inherit'] });
  const exited = new Promise<number | null>((done, fail) => {
    child.on('error', fail);
    child.on('close', done);
  });
  child.stdin.end(childInput(staging, cpu));
  const code = await exited;
  if (code !== 0) throw new Error(`esbuild of the ingest bundle (${cpu}) failed with exit code ${code}`);
  moveBuild(staging, options.outDir);
  copySnappy(cpu, options.outDir);
}

/** bundleIngest() for callers that cannot wait for a promise (CDK's local bundling hook is synchronous). */
export function bundleIngestSync(options: BundleIngestOptions): void {
  const cpu = options.cpu ?? hostCpu();
  prepareOutDir(options.outDir);
  const staging = stagingDir();
  const result = spawnSync(process.execPath, [ESBUILD_CHILD], {
    input: childInput(staging, cpu),
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  if (result.status !== 0) {
    throw new Error(`esbuild of the ingest bundle (${cpu}) failed with exit code ${result.status}`);
  }
  moveBuild(staging, options.outDir);
  copySnappy(cpu, options.outDir);
}
