// Sample values: a JSON number, a strict numeric string, "NaN", "+Inf"/"Inf", "-Inf", or a boolean (1/0).
// Numeric strings exist because AWS IoT SQL V2 rewrites whole-number decimals, so devices send "10.0".

import { quote } from './diagnostics.js';

export const VALUE_EXPECTATION = 'expected a number, numeric string, "NaN", "+Inf", "-Inf" or boolean';

/** The sample value of `raw`, or undefined when it is not a valid value (see `valueProblem` for why). */
export function parseValue(raw: unknown): number | undefined {
  if (typeof raw === 'number') {
    // JSON.parse turns literals beyond float64 (1e400) into ±Infinity; those are typos, not infinities.
    return raw - raw === 0 ? raw : undefined;
  }
  if (typeof raw === 'string') return parseNumericString(raw);
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  return undefined;
}

/**
 * A strict decimal number: optional sign, digits with an optional fraction, optional exponent; or one of the
 * special spellings. Number() alone would accept '', ' 1', '0x1f', '0b1', 'Infinity' and '1_0'-free junk.
 */
export function parseNumericString(text: string): number | undefined {
  const length = text.length;
  if (length === 0) return undefined;
  const first = text.charCodeAt(0);
  if (first === 0x4e /* N */) return text === 'NaN' ? NaN : undefined;
  if (first === 0x49 /* I */) return text === 'Inf' ? Infinity : undefined;
  if (first === 0x2b /* + */ && text === '+Inf') return Infinity;
  if (first === 0x2d /* - */ && text === '-Inf') return -Infinity;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    // Digits, '.', 'e', 'E', '+', '-': Number() then rejects misplaced ones ('1-2', 'e5', '.').
    if (!((c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d)) {
      return undefined;
    }
  }
  const value = Number(text);
  // NaN: malformed; ±Infinity: beyond float64 ("1e400"), which is a typo rather than an infinity.
  return value - value === 0 ? value : undefined;
}

/** Why `raw` is not a valid value: the tail of an error message. */
export function valueProblem(raw: unknown): string {
  if (raw === undefined) return `missing; ${VALUE_EXPECTATION}`;
  // Only a literal beyond float64 (1e400) reaches here as a number: JSON.parse made it Infinity.
  if (typeof raw === 'number') return `${VALUE_EXPECTATION}, got a number beyond the float64 range`;
  return `${VALUE_EXPECTATION}, got ${quote(raw)}`;
}
