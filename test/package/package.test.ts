// The package as a user gets it: `npm pack`, then a fresh CDK app in a temporary folder that installs the tarball
// with aws-cdk-lib, constructs (the lowest versions peerDependencies allow) and aws-cdk from the npm registry, and
// synthesises the construct in two configurations. Needs `npm run build` first (npm test runs it); the npm cache
// makes later installs fast.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  lambdaArchitectureName,
  prebuiltIngestDir,
  projectRoot,
  snappyBinaryModule,
  type BundleCpu,
} from '../../scripts/ingest-bundle.js';
import { ELF_AARCH64, ELF_X86_64, elfMachine } from '../infra/support/synth.js';
import { offlineEnv } from '../support/offline-env.js';
import { EXAMPLE_APP, treeFiles } from './support/app.js';

interface PackedFile {
  readonly path: string;
  readonly size: number;
}
interface PackResult {
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly entryCount: number;
  readonly files: readonly PackedFile[];
}
interface LambdaResource {
  readonly Type: string;
  readonly Properties: { Architectures: string[]; Runtime: string; Handler: string };
  readonly Metadata: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(projectRoot, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version: string }>;
};
/** The floor of a `^x.y.z` peer range: the version the range promises to work with. */
const peerFloor = (name: string) => manifest.peerDependencies[name]!.replace(/^\^/, '');

let work: string;
let app: string;
let packed: PackResult;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: offlineEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    timeout: 600_000,
  });
}

before(() => {
  for (const cpu of ['arm64', 'x64'] as const) {
    assert.ok(existsSync(join(prebuiltIngestDir(cpu), 'index.mjs')), 'run `npm run build` before this test');
  }
  work = mkdtempSync(join(tmpdir(), 'iotprom-package-'));
  // The build already ran (prepack would run it again).
  const out = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], projectRoot);
  packed = (JSON.parse(out) as PackResult[])[0]!;
  app = join(work, 'app');
  run('mkdir', ['-p', app], work);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'bridge-app', private: true, type: 'module' }, null, 2),
  );
  writeFileSync(join(app, 'cdk.json'), JSON.stringify({ app: 'node app.ts' }));
  writeFileSync(join(app, 'app.ts'), EXAMPLE_APP);
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      join(work, packed.filename),
      `aws-cdk-lib@${peerFloor('aws-cdk-lib')}`,
      `constructs@${peerFloor('constructs')}`,
      `aws-cdk@${lock.packages['node_modules/aws-cdk']!.version}`,
    ],
    app,
  );
  run('node', [join(app, 'node_modules/aws-cdk/bin/cdk'), 'synth', '--quiet', '-o', 'cdk.out'], app);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  test('holds the compiled construct, both prebuilt assets, the CLI, docs and license, and nothing else', () => {
    const paths = packed.files.map((file) => file.path);
    console.log(
      `tarball ${packed.filename}: ${(packed.size / 1024).toFixed(0)} KiB packed, ` +
        `${(packed.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${packed.entryCount} files`,
    );
    for (const required of [
      'package.json',
      'LICENSE',
      'README.md',
      'bin/iotprom.mjs',
      'dist/cli/main.mjs',
      'lib/index.js',
      'lib/types/infra/index.d.ts',
      ...(['arm64', 'x64'] as const).map(
        (cpu) => `dist/ingest-${lambdaArchitectureName(cpu)}/node_modules/${snappyBinaryModule(cpu)}`,
      ),
    ]) {
      assert.ok(paths.includes(required), `${required} is packed`);
    }
    const allowed =
      /^(package\.json|LICENSE|README\.md|bin\/[^/]+\.mjs|docs\/.+|lib\/index\.js|lib\/types\/.+\.d\.ts|dist\/cli\/main\.mjs|dist\/ingest-(arm64|x86_64)\/.+)$/;
    assert.deepEqual(
      paths.filter((path) => !allowed.test(path)),
      [],
    );
    assert.deepEqual(
      paths.filter((path) => /^(test|bench|functions|cli|infra|scripts|proto|dist\/ingest)\//.test(path)),
      [],
      'no tests, benchmarks, sources or the host-only dist/ingest',
    );
  });
});

describe('a fresh CDK app using the installed package', () => {
  const cases: ReadonlyArray<[string, BundleCpu, number]> = [
    ['Telemetry', 'arm64', ELF_AARCH64],
    ['ExistingWorkspaceX86', 'x64', ELF_X86_64],
  ];
  for (const [stack, cpu, machine] of cases) {
    test(`${stack}: the function runs on ${lambdaArchitectureName(cpu)}, its asset is dist's bundle byte for byte`, () => {
      const template = JSON.parse(readFileSync(join(app, 'cdk.out', `${stack}.template.json`), 'utf8')) as {
        Resources: Record<string, LambdaResource>;
      };
      const functions = Object.values(template.Resources).filter(
        (resource) =>
          resource.Type === 'AWS::Lambda::Function' && resource.Properties.Handler === 'index.handler',
      );
      assert.equal(functions.length, 1);
      const fn = functions[0]!;
      assert.deepEqual(fn.Properties.Architectures, [lambdaArchitectureName(cpu)]);
      assert.equal(fn.Properties.Runtime, 'nodejs24.x');
      const asset = join(app, 'cdk.out', fn.Metadata['aws:asset:path']!);
      assert.equal(elfMachine(join(asset, 'node_modules', snappyBinaryModule(cpu))), machine);
      const files = treeFiles(asset);
      assert.deepEqual(files, treeFiles(prebuiltIngestDir(cpu)));
      for (const file of files) {
        const same = readFileSync(join(asset, file)).equals(readFileSync(join(prebuiltIngestDir(cpu), file)));
        assert.ok(same, `${file} is byte-identical to dist's`);
      }
    });
  }

  test('the existing workspace is written to, and no workspace is created', () => {
    const template = readFileSync(join(app, 'cdk.out', 'ExistingWorkspaceX86.template.json'), 'utf8');
    assert.ok(template.includes('ws-0123456789abcdef'));
    assert.ok(!template.includes('AWS::APS::Workspace'));
    assert.ok(
      readFileSync(join(app, 'cdk.out', 'Telemetry.template.json'), 'utf8').includes('AWS::APS::Workspace'),
    );
  });

  test('uses the app’s aws-cdk-lib and constructs, and needs no cdk-nag', () => {
    const installed = join(app, 'node_modules', 'iot-prometheus-bridge');
    assert.equal(existsSync(join(installed, 'node_modules', 'aws-cdk-lib')), false);
    assert.equal(existsSync(join(installed, 'node_modules', 'constructs')), false);
    assert.equal(existsSync(join(app, 'node_modules', 'cdk-nag')), false);
    assert.deepEqual(readdirSync(join(app, 'node_modules', '.bin')).includes('iotprom'), true);
  });

  test('the app type-checks against the package’s declarations (through its exports map)', () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          // The app's own Node types would come from its @types/node; the project's stand in for them.
          typeRoots: [join(projectRoot, 'node_modules/@types')],
          types: ['node'],
        },
        files: ['app.ts'],
      }),
    );
    run('node', [join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
  });

  test('`npx iotprom --help` runs the compiled CLI, quietly (no Node version notice)', () => {
    const help = spawnSync('npx', ['--no-install', 'iotprom', '--help'], {
      cwd: app,
      encoding: 'utf8',
      env: offlineEnv(),
      timeout: 120_000,
    });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /Usage: iotprom/);
    assert.match(help.stdout, /replay/);
    assert.equal(help.stderr, '');
  });
});
