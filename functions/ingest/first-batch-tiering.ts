// How V8 compiles the first batch after a cold start. That batch runs the pipeline before any of it is compiled, and
// V8 compiles its hot functions twice on the way up, with Maglev (the mid tier) and then TurboFan: for a first batch
// of the stack's default size, that compiling costs more than Maglev's code saves (docs/performance.md). So a small
// first batch is planned with Maglev off. It is on again before the first send loads node:https, as V8 checks its
// flags against the code cache of Node's built-in modules, and for every later batch.

/** The Node.js major this was measured on; on others the first batch is left to V8's defaults. */
const MEASURED_NODE_MAJOR = 24;
/** V8 options that choose compiler tiers (`--opt` is TurboFan's old name): whoever set one wants it kept. */
const TIERING_OPTIONS = /maglev|turbofan|sparkplug|jitless|max-opt|--(no-)?opt\b/;
/** The largest first batch planned with Maglev off: larger ones run long enough for its code to pay. */
const MAX_MESSAGES = 2500;

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

/** V8 spells its options with `-` or `_` alike. */
function choosesTiers(options: string): boolean {
  return TIERING_OPTIONS.test(options.replaceAll('_', '-'));
}

/** Whether the first batch may run with Maglev off: the runtime it was measured on, with no tiering options. */
export function firstBatchTieringApplies(runtime: RuntimeFacts = currentRuntime()): boolean {
  const { nodeVersion, execArgv, nodeOptions, maglevBuilt } = runtime;
  return (
    Number(nodeVersion.split('.')[0]) === MEASURED_NODE_MAJOR &&
    // Turning on a compiler the build left out is not asking for a default.
    (maglevBuilt === 1 || maglevBuilt === true || maglevBuilt === 'true') &&
    !execArgv.some((option) => choosesTiers(option)) &&
    !choosesTiers(nodeOptions)
  );
}

/** Runs the first batch's planning with Maglev off (see the top of the file), and every later one as it is. */
export class FirstBatchTiering {
  private pending: boolean;

  constructor(applies: boolean = firstBatchTieringApplies()) {
    this.pending = applies;
  }

  /** Runs `work`, the planning of a batch of `messages` messages. */
  run<T>(messages: number, work: () => T): T {
    if (!this.pending) return work();
    this.pending = false;
    if (messages > MAX_MESSAGES) return work();
    const v8 = process.getBuiltinModule('node:v8');
    v8.setFlagsFromString('--no-maglev');
    try {
      return work();
    } finally {
      v8.setFlagsFromString('--maglev');
    }
  }
}
