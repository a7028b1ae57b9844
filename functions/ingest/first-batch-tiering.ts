// How V8 compiles the first batch after a cold start. That batch runs the pipeline before any of it is compiled,
// and V8 compiles its hot functions twice on the way up: with Maglev (the mid tier), then with TurboFan. On the
// runtime's Node 24, planning a first 1,000-message batch with Maglev off (straight from the baseline tier to
// TurboFan) took about 30% less CPU, background compiler threads included, and a first 10,000-message batch no
// more; figures in docs/performance.md. Maglev is on again for every later batch, and before the first send loads
// node:https: V8 checks its flags against the code cache of Node's built-in modules, and they must match then.

/** The Node.js major this was measured on; on others the first batch is left to V8's defaults. */
const MEASURED_NODE_MAJOR = 24;
/** V8 options that choose compiler tiers: someone who set one wants it kept for every batch. */
const TIERING_OPTIONS = /maglev|turbofan|sparkplug|jitless|max-opt/;

/** What decides whether the first batch runs with Maglev off. */
export interface RuntimeFacts {
  readonly nodeVersion: string;
  readonly execArgv: readonly string[];
  readonly nodeOptions: string;
  /** process.config.variables.v8_enable_maglev: whether this build of Node has Maglev at all. */
  readonly maglevBuilt: unknown;
}

function currentRuntime(): RuntimeFacts {
  const variables = process.config.variables as unknown as Record<string, unknown>;
  return {
    nodeVersion: process.versions.node,
    execArgv: process.execArgv,
    nodeOptions: process.env['NODE_OPTIONS'] ?? '',
    maglevBuilt: variables['v8_enable_maglev'],
  };
}

/** Whether the first batch may run with Maglev off: the runtime it was measured on, with no tiering options. */
export function firstBatchTieringApplies(runtime: RuntimeFacts = currentRuntime()): boolean {
  const { nodeVersion, execArgv, nodeOptions, maglevBuilt } = runtime;
  return (
    Number(nodeVersion.split('.')[0]) === MEASURED_NODE_MAJOR &&
    // Turning on a compiler the build left out is not asking for a default.
    (maglevBuilt === 1 || maglevBuilt === true || maglevBuilt === 'true') &&
    !execArgv.some((option) => TIERING_OPTIONS.test(option)) &&
    !TIERING_OPTIONS.test(nodeOptions)
  );
}

/** Runs the first piece of work it is given with Maglev off (see the top of the file), and later ones as they are. */
export class FirstBatchTiering {
  private pending: boolean;

  constructor(applies: boolean = firstBatchTieringApplies()) {
    this.pending = applies;
  }

  run<T>(work: () => T): T {
    if (!this.pending) return work();
    this.pending = false;
    const v8 = process.getBuiltinModule('node:v8');
    v8.setFlagsFromString('--no-maglev');
    try {
      return work();
    } finally {
      v8.setFlagsFromString('--maglev');
    }
  }
}
