// Parsers for option values, so that a bad value is a usage error (exit code 2) naming the option, and
// the options several commands share.
import { InvalidArgumentError, Option } from 'commander';
import { parseFormats, type MessageFormat } from './simulate/telemetry.js';

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
}

export function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return n;
}

/** `50`, `50/s` or `0.5/s`: messages per second. */
export function rate(value: string): number {
  const n = Number(value.replace(/\/s$/, ''));
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('expected messages per second, e.g. 50 or 50/s');
  return n;
}

/** A share between 0 and 1 (`0.05`) or a percentage (`5%`). */
export function share(value: string): number {
  const n = value.endsWith('%') ? Number(value.slice(0, -1)) / 100 : Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError('expected a share between 0 and 1, e.g. 0.05 or 5%');
  return n;
}

/** `90` (seconds), `90s`, `15m`, `1h`, `2d`: milliseconds. */
export function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (match === null) throw new InvalidArgumentError('expected a duration, e.g. 90s, 15m, 1h');
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? 's'] ?? 1000;
  return Number(match[1]) * unit;
}

/** Seconds, for options that SQS or a timer takes in seconds (`30`, `30s`, `2m`). */
export function seconds(value: string): number {
  return duration(value) / 1000;
}

export function regex(value: string): RegExp {
  try {
    return new RegExp(value);
  } catch (error) {
    throw new InvalidArgumentError(`not a valid regular expression: ${(error as Error).message}`);
  }
}

/** A comma-separated list; repeated options accumulate. */
export function list(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== ''),
  ];
}

/** `sample,senml`: the simulator's message formats. */
export function formats(value: string): MessageFormat[] {
  try {
    return parseFormats(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** `--wait`, for the commands that scan a queue (inspect, replay): same meaning, same default. */
export function scanWaitOption(): Option {
  return new Option('--wait <seconds>', 'long-poll wait of each receive; 3 empty receives end the scan')
    .argParser(seconds)
    .default(1);
}
