// Errors that name what the operator set: a construct prop (BridgePropError) or a CDK context key (ContextError),
// and the integer ranges both are checked against.

/** A construct prop the bridge refuses; `prop` is its name in IotPrometheusBridgeProps. */
export class BridgePropError extends Error {
  override readonly name = 'BridgePropError';

  constructor(
    readonly prop: string,
    readonly reason: string,
  ) {
    super(`${prop} ${reason}`);
  }
}

/** A context key the stack refuses: an operator mistake, reported in one line without a stack trace. */
export class ContextError extends Error {
  override readonly name = 'ContextError';

  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`-c ${key}: ${reason}`);
  }
}

/** Inclusive ranges of the integer settings, as AWS allows them; the context keys use the same ranges. */
export const INTEGER_RANGES = {
  memorySize: [128, 10_240],
  timeoutSeconds: [1, 900],
  batchSize: [1, 10_000],
  maxBatchingWindowSeconds: [0, 300],
  maxConcurrency: [2, 1_000],
  maxReceiveCount: [1, 1_000],
  // SQS keeps messages up to 14 days; the construct refuses 14 itself, as the dead-letter queue must keep longer.
  sourceQueueRetentionDays: [1, 14],
  workspaceRetentionDays: [1, 1_095],
  outOfOrderWindowSeconds: [0, 600],
  ingestLagThresholdSeconds: [1, 1_209_600],
  remoteWriteRetriesThreshold: [1, 1_000_000_000],
} as const satisfies Record<string, readonly [number, number]>;

export type IntegerSetting = keyof typeof INTEGER_RANGES;

/** The reason an integer is out of its range, or undefined. */
export function integerProblem(setting: IntegerSetting, value: number): string | undefined {
  const [min, max] = INTEGER_RANGES[setting];
  if (Number.isInteger(value) && value >= min && value <= max) return undefined;
  return `must be an integer from ${min} to ${max}, got ${value}`;
}

/** The value when it is in range; else a BridgePropError naming `prop`. */
export function checkInteger(prop: string, setting: IntegerSetting, value: number): number {
  const problem = integerProblem(setting, value);
  if (problem !== undefined) throw new BridgePropError(prop, problem);
  return value;
}
