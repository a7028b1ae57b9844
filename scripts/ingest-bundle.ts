// The one definition of how the ingest Lambda is built. `npm run build` and the CDK construct both use it
// (bundleIngest() and bundleIngestSync() run the same steps with the same options), so the bytes the tests
// exercise are the bytes that ship.
import { build, buildSync, type BuildOptions } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** CPU architectures the bundle can be built for (Lambda's `arm64` and `x86_64`). */
export type BundleCpu = 'arm64' | 'x64';

export interface BundleIngestOptions {
  /** Folder that receives `index.mjs`, its source map and `node_modules/` with the snappy binary. */
  readonly outDir: string;
  /** CPU of the machine that will run the bundle. @default the build host's CPU */
  readonly cpu?: BundleCpu;
}

/** Node.js version the bundle's syntax targets: the oldest Lambda runtime the stack may select. */
export const INGEST_NODE_TARGET = 'node22';

/** Module path of the snappy native binary for a Linux (glibc, as on Lambda) machine with the given CPU. */
export function snappyBinaryModule(cpu: BundleCpu): string {
  return `@napi-rs/snappy-linux-${cpu}-gnu/snappy.linux-${cpu}-gnu.node`;
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
    external: ['@napi-rs/*'],
    alias: { snappy: join(projectRoot, 'functions/pipeline/snappy-binding.ts') },
    define: { SNAPPY_NATIVE_BINARY: JSON.stringify(snappyBinaryModule(cpu)) },
    // Bundled CommonJS dependencies call require() for Node built-ins; ESM output has no require of its own.
    banner: {
      js: "import { createRequire as __bridgeCreateRequire } from 'node:module'; const require = __bridgeCreateRequire(import.meta.url);",
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
  return JSON.stringify({ cpu, esbuild: JSON.parse(options) as unknown, snappy: snappyVersion() });
}

export function hostCpu(): BundleCpu {
  if (process.arch === 'arm64' || process.arch === 'x64') return process.arch;
  throw new Error(`unsupported build host CPU ${process.arch}`);
}

function snappyVersion(): string {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'node_modules/snappy/package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Folder holding `@napi-rs/snappy-linux-<cpu>-gnu` for the given CPU. */
function snappyModules(cpu: BundleCpu): string {
  if (cpu === hostCpu() && process.platform === 'linux') return join(projectRoot, 'node_modules');
  const version = snappyVersion();
  const cache = join(projectRoot, '.tmp', `snappy-${version}-linux-${cpu}-gnu`);
  const marker = join(cache, 'node_modules', '@napi-rs', `snappy-linux-${cpu}-gnu`);
  if (!existsSync(marker)) {
    // Installed aside and renamed into place: two synths running at once must never see a half-written cache.
    const partial = `${cache}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    // --prefix keeps npm from walking up to the project and rewriting its node_modules.
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        partial,
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        '--os=linux',
        `--cpu=${cpu}`,
        '--libc=glibc',
        `snappy@${version}`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    if (!existsSync(join(partial, 'node_modules', '@napi-rs', `snappy-linux-${cpu}-gnu`))) {
      throw new Error(`npm did not install @napi-rs/snappy-linux-${cpu}-gnu@${version}`);
    }
    try {
      renameSync(partial, cache);
    } catch (error) {
      // Another build won the race and its copy is as good as ours.
      rmSync(partial, { recursive: true, force: true });
      if (!existsSync(marker)) throw error;
    }
  }
  return join(cache, 'node_modules');
}

function prepareOutDir(outDir: string): void {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
}

/** Copies the native binary's package; the `snappy` package itself (its loader) is not needed at run time. */
function copySnappy(cpu: BundleCpu, outDir: string): void {
  const binary = `snappy-linux-${cpu}-gnu`;
  cpSync(join(snappyModules(cpu), '@napi-rs', binary), join(outDir, 'node_modules', '@napi-rs', binary), {
    recursive: true,
  });
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

export async function bundleIngest(options: BundleIngestOptions): Promise<void> {
  const cpu = options.cpu ?? hostCpu();
  prepareOutDir(options.outDir);
  const staging = stagingDir();
  await build(ingestEsbuildOptions(staging, cpu));
  moveBuild(staging, options.outDir);
  copySnappy(cpu, options.outDir);
}

/** bundleIngest() for callers that cannot wait for a promise (CDK's local bundling hook is synchronous). */
export function bundleIngestSync(options: BundleIngestOptions): void {
  const cpu = options.cpu ?? hostCpu();
  prepareOutDir(options.outDir);
  const staging = stagingDir();
  buildSync(ingestEsbuildOptions(staging, cpu));
  moveBuild(staging, options.outDir);
  copySnappy(cpu, options.outDir);
}
