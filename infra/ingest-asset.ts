// The ingest function's code. In the repository CDK builds it while it stages the asset, with the same
// bundleIngest steps as `npm run build` and the snappy binary of the function's architecture whatever the host
// (no Docker needed). An installed package has no sources: it ships the bundles `npm run build` made for both
// architectures (dist/ingest-arm64, dist/ingest-x86_64), and the asset is that folder as it is.
import { AssetHashType, DockerImage, FileSystem, IgnoreMode, type ILocalBundling } from 'aws-cdk-lib';
import { Architecture, Code } from 'aws-cdk-lib/aws-lambda';
import { existsSync } from 'node:fs';
import {
  bundleIngestSync,
  ingestBuildDescriptor,
  ingestSourcesPresent,
  prebuiltIngestDir,
  projectRoot,
  type BundleCpu,
} from '../scripts/ingest-bundle.js';

/**
 * Paths (globs, matched at any depth) that cannot change the bundle (the bundle reads only functions/ and
 * package.json; a test checks that against esbuild's metafile). The rest of the project (sources, proto,
 * package.json, package-lock.json, the build scripts) is hashed, so a synth reuses the staged asset until one of
 * those changes.
 */
export const INGEST_ASSET_EXCLUDES: readonly string[] = [
  '.git',
  '.tmp',
  '.ci',
  'node_modules',
  'cdk.out',
  'dist',
  'lib',
  'coverage',
  'infra',
  'cli',
  'bin',
  'test',
  'bench',
  'docs',
  '*.md',
  'LICENSE',
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

/** The prebuilt bundle of an installed package; its hash is that of the folder's files. */
function prebuiltIngestCode(cpu: BundleCpu): Code {
  const dir = prebuiltIngestDir(cpu);
  if (!existsSync(`${dir}/index.mjs`)) {
    throw new Error(
      `the ingest function's prebuilt bundle ${dir} is missing; reinstall iot-prometheus-bridge`,
    );
  }
  return Code.fromAsset(dir);
}

/** The ingest Lambda's code for the given architecture: built from source in the repository, else prebuilt. */
export function ingestCode(architecture: Architecture): Code {
  const cpu = bundleCpuOf(architecture);
  if (!ingestSourcesPresent()) return prebuiltIngestCode(cpu);
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
