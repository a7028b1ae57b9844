// The machine a run was measured on, for bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { benchNode } from './child.js';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memory: string;
  readonly node: string;
  readonly platform: string;
}

/** `v24.x.y`: the Node.js every benchmark child runs on. */
export const benchNodeVersion = execFileSync(benchNode, ['--version'], { encoding: 'utf8' }).trim();

export function machine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    // The Node.js the measurements ran on (the function's runtime), not the one running this script.
    node: `${benchNodeVersion} (the function's runtime, from scripts/runtime-node.mjs${process.env['RUNTIME_NODE'] ? ' via RUNTIME_NODE' : ''})`,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** The 1-minute load average: above the core count, other work was competing for the CPU. */
export function load1(): number {
  return loadavg()[0] ?? 0;
}
