// Where the function's log lines and EMF documents go. Lambda sends stdout to CloudWatch Logs line by line, and
// CloudWatch extracts EMF metrics from the same lines. A direct write skips console formatting and Lambda's own
// console patching (which would prefix each line and break the JSON), as Powertools' private Console did.
// With POWERTOOLS_DEV set (local runs), lines go through whatever global console the host installed, as
// Powertools does in dev mode: `iotprom local` points it at stderr to keep stdout for its own output.

export type Env = Readonly<Record<string, string | undefined>>;

/** Severity decides the console method in dev mode only; in Lambda every line goes to stdout. */
export type LineSeverity = 'info' | 'warn' | 'error';

export type LineSink = (line: string, severity: LineSeverity) => void;

const TRUTHY = new Set(['1', 'y', 'yes', 't', 'true', 'on']);
const FALSY = new Set(['0', 'n', 'no', 'f', 'false', 'off']);

/** Powertools' boolean parsing of environment variables; undefined when unset or not a boolean word. */
export function envFlag(env: Env, name: string): boolean | undefined {
  const value = env[name]?.trim().toLowerCase();
  if (value === undefined) return undefined;
  if (TRUTHY.has(value)) return true;
  if (FALSY.has(value)) return false;
  return undefined;
}

export function isDevMode(env: Env): boolean {
  return envFlag(env, 'POWERTOOLS_DEV') === true;
}

export function stdoutLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The global console is looked up at each call: a host may replace it after this module loaded. */
export function consoleLine(line: string, severity: LineSeverity): void {
  if (severity === 'error') console.error(line);
  else if (severity === 'warn') console.warn(line);
  else console.log(line);
}

export function lineSinkFor(env: Env): LineSink {
  return isDevMode(env) ? consoleLine : stdoutLine;
}
