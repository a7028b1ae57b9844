// Sample timestamps: integer milliseconds since the Unix epoch, or an RFC 3339 date-time with a zone offset.
// RFC 3339 is parsed by hand: Date.parse accepts many non-RFC shapes (and dates without offset as local time).

import { quote } from './diagnostics.js';

/** 9999-12-31T23:59:59.999Z: the last instant RFC 3339's four-digit year can name. */
export const MAX_TIMESTAMP_MS = 253402300799999;

export const TIMESTAMP_EXPECTATION =
  'expected integer milliseconds since the Unix epoch or an RFC 3339 date-time with offset (e.g. "2024-11-25T10:40:00Z")';

/** Milliseconds since the epoch, or undefined when `raw` is not a valid timestamp (see `timestampProblem`). */
export function parseTimestampMs(raw: unknown): number | undefined {
  if (typeof raw === 'number') {
    return Number.isSafeInteger(raw) && raw >= 0 && raw <= MAX_TIMESTAMP_MS ? raw : undefined;
  }
  if (typeof raw === 'string') return parseRfc3339(raw);
  return undefined;
}

/** `count` ASCII digits as a number, or -1. */
function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const d = text.charCodeAt(i) - 0x30;
    // Negated so that NaN (past the end of the text) fails too.
    if (!(d >= 0 && d <= 9)) return -1;
    value = value * 10 + d;
  }
  return value;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil); Date.UTC maps years 0-99 to 19xx. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/**
 * `YYYY-MM-DD(T|t| )HH:MM:SS[.fraction](Z|z|±HH:MM)` → ms since the epoch, or undefined. Fractions finer than a
 * millisecond are truncated; a leap second (:60) is read as :00 of the next minute, as POSIX time does.
 */
export function parseRfc3339(text: string): number | undefined {
  const length = text.length;
  if (length < 20) return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  const sep = text.charCodeAt(10);
  if (
    year < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 60 ||
    text.charCodeAt(4) !== 0x2d ||
    text.charCodeAt(7) !== 0x2d ||
    !(sep === 0x54 || sep === 0x74 || sep === 0x20) ||
    text.charCodeAt(13) !== 0x3a ||
    text.charCodeAt(16) !== 0x3a
  ) {
    return undefined;
  }
  const daysInMonth = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day > daysInMonth) return undefined;

  let i = 19;
  let millis = 0;
  if (text.charCodeAt(i) === 0x2e) {
    const start = ++i;
    while (i < length) {
      const d = text.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      if (i - start < 3) millis = millis * 10 + d;
      i++;
    }
    const fractionDigits = i - start;
    if (fractionDigits === 0) return undefined;
    if (fractionDigits === 1) millis *= 100;
    else if (fractionDigits === 2) millis *= 10;
  }

  let offsetMinutes: number;
  const zone = text.charCodeAt(i);
  if (zone === 0x5a || zone === 0x7a) {
    if (i + 1 !== length) return undefined;
    offsetMinutes = 0;
  } else if (zone === 0x2b || zone === 0x2d) {
    if (i + 6 !== length || text.charCodeAt(i + 3) !== 0x3a) return undefined;
    const offsetHours = digitsAt(text, i + 1, 2);
    const offsetMins = digitsAt(text, i + 4, 2);
    if (offsetHours < 0 || offsetHours > 23 || offsetMins < 0 || offsetMins > 59) return undefined;
    offsetMinutes = (offsetHours * 60 + offsetMins) * (zone === 0x2b ? 1 : -1);
  } else {
    return undefined;
  }

  const ms =
    daysFromCivil(year, month, day) * 86400000 +
    ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 +
    millis;
  return ms >= 0 && ms <= MAX_TIMESTAMP_MS ? ms : undefined;
}

const DATE_TIME_WITHOUT_OFFSET = /^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/;
const DATE_TIME_SHAPE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Why `raw` is not a valid timestamp: the tail of an error message. */
export function timestampProblem(raw: unknown): string {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return `${TIMESTAMP_EXPECTATION}, got a number beyond the float64 range`;
    if (!Number.isInteger(raw)) return `expected integer milliseconds, got fractional ${raw}`;
    if (raw < 0) return `expected milliseconds since the Unix epoch (1970), got negative ${raw}`;
    if (raw > MAX_TIMESTAMP_MS)
      return `expected milliseconds since the Unix epoch up to year 9999, got ${raw}`;
    return `${TIMESTAMP_EXPECTATION}, got ${raw}`;
  }
  if (typeof raw === 'string') {
    if (DATE_TIME_WITHOUT_OFFSET.test(raw)) {
      return `RFC 3339 date-time needs a full time and a zone offset ("Z" or "±HH:MM"), got ${quote(raw)}`;
    }
    if (DATE_TIME_SHAPE.test(raw)) {
      return `RFC 3339 date-time is not a valid date or time, or lies outside 1970 to 9999, got ${quote(raw)}`;
    }
  }
  return `${TIMESTAMP_EXPECTATION}, got ${quote(raw)}`;
}
