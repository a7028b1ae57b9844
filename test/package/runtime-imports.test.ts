// What the installed package runs imports only its dependencies and peers (and Node's built-ins): no
// devDependency (esbuild, tsx, cdk-nag, protobufjs, ...) is needed at run time, since users do not get them.
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { build, type BuildOptions } from 'esbuild';
import { cliBuildOptions, libraryBuildOptions } from '../../scripts/cli-bundle.js';
import { ingestEsbuildOptions, projectRoot } from '../../scripts/ingest-bundle.js';
import { tmpdir } from 'node:os';

const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};

/** The package names a bundle leaves as imports. */
async function externalPackages(options: BuildOptions): Promise<string[]> {
  const result = await build({ ...options, write: false, metafile: true, logLevel: 'silent' });
  const paths = Object.values(result.metafile.outputs).flatMap((output) =>
    output.imports.filter((entry) => entry.external).map((entry) => entry.path),
  );
  const names = paths.map((path) =>
    (path.startsWith('@') ? path.split('/').slice(0, 2) : path.split('/').slice(0, 1)).join('/'),
  );
  return [...new Set(names)].sort();
}

const isBuiltin = (name: string) => name.startsWith('node:') || builtinModules.includes(name);

for (const [what, options] of [
  ['the construct library (lib/index.js)', libraryBuildOptions()],
  ['the CLI (dist/cli/main.mjs)', cliBuildOptions()],
] as const) {
  test(`${what} imports only dependencies, peers and Node built-ins`, async () => {
    const packages = (await externalPackages(options)).filter((name) => !isBuiltin(name));
    const allowed = { ...manifest.dependencies, ...manifest.peerDependencies };
    assert.deepEqual(
      packages.filter((name) => !(name in allowed)),
      [],
    );
  });
}

test('the construct library needs aws-cdk-lib and constructs from the app, and nothing else of CDK', async () => {
  const packages = (await externalPackages(libraryBuildOptions())).filter((name) => !isBuiltin(name));
  assert.deepEqual(packages, ['aws-cdk-lib', 'constructs']);
});

test('protobufjs is a devDependency: nothing the package runs imports it', async () => {
  assert.equal('protobufjs' in manifest.dependencies, false);
  for (const options of [libraryBuildOptions(), cliBuildOptions()]) {
    assert.equal((await externalPackages(options)).includes('protobufjs'), false);
  }
  const ingest = await build({
    ...ingestEsbuildOptions(tmpdir()),
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(ingest.metafile.inputs);
  assert.ok(inputs.some((input) => input.endsWith('functions/ingest/index.ts')));
  assert.deepEqual(
    inputs.filter((input) => /node_modules\/protobufjs\//.test(input)),
    [],
  );
});
