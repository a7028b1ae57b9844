// The ingest function's code: the same bundleIngest steps as `npm run build`, run by CDK while it stages the asset,
// with the snappy binary of the function's architecture whatever the host (no Docker needed).
import { AssetHashType, DockerImage, FileSystem, IgnoreMode, type ILocalBundling } from 'aws-cdk-lib';
import { Architecture, Code } from 'aws-cdk-lib/aws-lambda';
import {
  bundleIngestSync,
  ingestBuildDescriptor,
  projectRoot,
  type BundleCpu,
} from '../scripts/ingest-bundle.js';

/**
 * Paths (globs, matched at any depth) that cannot change the bundle (the bundle reads only functions/ and
 * package.json; a test checks that against esbuild's metafile). The rest of the project (sources, proto,
 * package.json, package-lock.json, the build script) is hashed, so a synth reuses the staged asset until one of
 * those changes.
 */
export const INGEST_ASSET_EXCLUDES: readonly string[] = [
  '.git',
  '.tmp',
  '.ci',
  'node_modules',
  'cdk.out',
  'dist',
  'coverage',
  'infra',
  'cli',
  'bin',
  'test',
  'bench',
  'docs',
  '*.md',
  'cdk.json',
  'cdk.context.json',
];

/** Fingerprint of the files the asset hash covers (the same walk CDK does for the asset). */
export function ingestSourceFingerprint(): string {
  return FileSystem.fingerprint(projectRoot, {
    exclude: [...INGEST_ASSET_EXCLUDES],
    ignoreMode: IgnoreMode.GLOB,
  });
}

export function bundleCpuOf(architecture: Architecture): BundleCpu {
  if (architecture.name === Architecture.ARM_64.name) return 'arm64';
  if (architecture.name === Architecture.X86_64.name) return 'x64';
  throw new Error(`unsupported Lambda architecture ${architecture.name}`);
}

/**
 * CDK stringifies the bundling options into the asset hash; the function is dropped there, so `build` carries
 * what else decides the bytes (target CPU, esbuild options, snappy version) and x86_64 and arm64 assets differ.
 */
class IngestLocalBundling implements ILocalBundling {
  readonly build: string;

  constructor(private readonly cpu: BundleCpu) {
    this.build = ingestBuildDescriptor(cpu);
  }

  tryBundle(outputDir: string): boolean {
    bundleIngestSync({ outDir: outputDir, cpu: this.cpu });
    return true;
  }
}

/** The ingest Lambda's code for the given architecture, built locally by bundleIngestSync. */
export function ingestCode(architecture: Architecture): Code {
  const cpu = bundleCpuOf(architecture);
  return Code.fromAsset(projectRoot, {
    assetHashType: AssetHashType.SOURCE,
    exclude: [...INGEST_ASSET_EXCLUDES],
    bundling: {
      // Local bundling always succeeds or throws, so this image is never pulled; CDK requires one.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-bookworm'),
      local: new IngestLocalBundling(cpu),
    },
  });
}
