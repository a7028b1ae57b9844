// The window of sample timestamps accepted, relative to the message's arrival (SQS SentTimestamp). A receiver
// refuses samples far outside its head block, and Prometheus refuses the whole request: such a sample is the
// device's error, so its message is invalid at the door instead of failing its batch at the receiver.
import type { SampleWindow } from '../config.js';

/** Units a device may send by mistake, with the factor that turns their value into milliseconds. */
const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['seconds', 1000],
  ['microseconds', 1e-3],
  ['nanoseconds', 1e-6],
];
/** How close to the arrival a converted value must land to name its unit: clocks drift, devices buffer. */
const UNIT_TOLERANCE_MS = 24 * 3_600_000;

function instant(ms: number): string {
  return ms >= -8.64e15 && ms <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms`;
}

/** A duration the way MAX_SAMPLE_AGE and MAX_SAMPLE_FUTURE are written: 1h30m, 10m, 90s, 2h0.084s. */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  if (rest > 0 || out === '') out += `${rest / 1000}s`;
  return out;
}

/** "; it reads as seconds since the epoch (…): send milliseconds", when `value` in another unit lands near the arrival. */
export function unitHint(value: number, arrivalMs: number): string {
  for (const [unit, factor] of UNITS) {
    const ms = value * factor;
    if (Math.abs(ms - arrivalMs) <= UNIT_TOLERANCE_MS) {
      return `; it reads as ${unit} since the epoch (${instant(Math.round(ms))}): send integer milliseconds`;
    }
  }
  return '';
}

/** True when `timestampMs` lies inside the window around `arrivalMs`. */
export function insideWindow(timestampMs: number, arrivalMs: number, window: SampleWindow): boolean {
  return timestampMs >= arrivalMs - window.maxAgeMs && timestampMs <= arrivalMs + window.maxFutureMs;
}

/**
 * Why a sample at `timestampMs` is refused, or undefined when it lies inside the window. `raw` is the number the
 * body held, when the timestamp was a plain number (a unit mistake is then named).
 */
export function windowProblem(
  timestampMs: number,
  arrivalMs: number,
  window: SampleWindow,
  raw?: number,
): string | undefined {
  if (insideWindow(timestampMs, arrivalMs, window)) return undefined;
  const early = timestampMs < arrivalMs;
  const distance = formatDuration(Math.abs(arrivalMs - timestampMs));
  const hint = raw === undefined ? '' : unitHint(raw, arrivalMs);
  return (
    `timestamp ${instant(timestampMs)} is ${distance} ${early ? 'before' : 'after'} the message's arrival ` +
    `(${instant(arrivalMs)}); accepted are samples up to ${formatDuration(window.maxAgeMs)} older ` +
    `(MAX_SAMPLE_AGE) and ${formatDuration(window.maxFutureMs)} newer (MAX_SAMPLE_FUTURE)${hint}`
  );
}
