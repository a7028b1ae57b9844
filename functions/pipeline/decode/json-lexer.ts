// The JSON lexing the object scanner needs, as functions of (text, position) that return the position after what
// they read, or -1. They hold no state: a number is written into the caller's one-element output array, since a
// double returned from a call V8 does not inline is boxed (an allocation per number).
import { MAX_TIMESTAMP_MS } from './timestamp.js';

/** 10^k for the fractions the exact number path handles: exact doubles up to 10^22. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Digits a double holds exactly (10^15 < 2^53): a mantissa of at most this many digits is an exact integer. */
const MAX_EXACT_DIGITS = 15;

export function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export function skipWhitespace(text: string, start: number): number {
  let i = start;
  while (isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

/** Scans a string whose opening quote is at `start - 1`; returns the index of its closing quote, or -1 for a
 * string the fast path leaves to JSON.parse (escapes, control characters, surrogates) or an unterminated one. */
export function plainStringEnd(text: string, start: number): number {
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i;
    if (c === 0x5c || c < 0x20 || (c >= 0xd800 && c <= 0xdfff)) return -1;
  }
  return -1;
}

/**
 * Reads a JSON number at `start` (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?) into out[0] and returns the index
 * after it, or -1 when it is not a JSON number. A literal beyond float64 reads as ±Infinity, as in JSON.parse.
 * Up to 15 significant digits without exponent are converted by one exact division (correctly rounded, so equal
 * to JSON.parse); anything longer goes through Number(), which rounds like JSON.parse.
 */
export function readNumber(text: string, start: number, out: Float64Array): number {
  let i = start;
  let c = text.charCodeAt(i);
  const negative = c === 0x2d;
  if (negative) c = text.charCodeAt(++i);
  let mantissa = 0;
  let digits = 0;
  if (c === 0x30) {
    c = text.charCodeAt(++i);
    digits = 1;
  } else if (c >= 0x31 && c <= 0x39) {
    do {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
      c = text.charCodeAt(++i);
    } while (c >= 0x30 && c <= 0x39);
  } else {
    return -1;
  }
  let fraction = 0;
  if (c === 0x2e) {
    c = text.charCodeAt(++i);
    if (!(c >= 0x30 && c <= 0x39)) return -1;
    do {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
      fraction++;
      c = text.charCodeAt(++i);
    } while (c >= 0x30 && c <= 0x39);
  }
  let exact = digits <= MAX_EXACT_DIGITS;
  if (c === 0x65 || c === 0x45) {
    exact = false;
    c = text.charCodeAt(++i);
    if (c === 0x2b || c === 0x2d) c = text.charCodeAt(++i);
    if (!(c >= 0x30 && c <= 0x39)) return -1;
    do c = text.charCodeAt(++i);
    while (c >= 0x30 && c <= 0x39);
  }
  let value: number;
  if (exact) {
    value = fraction === 0 ? mantissa : mantissa / POWERS_OF_TEN[fraction]!;
    if (negative) value = -value;
  } else {
    value = Number(text.slice(start, i));
  }
  out[0] = value;
  return i;
}

/**
 * Reads an integer timestamp in milliseconds at `start` into out[0]; returns the index after it, or -1 for
 * anything the fast path leaves to the slow one (fractions, exponents, more than 16 digits, beyond year 9999).
 */
export function readTimestamp(text: string, start: number, out: Float64Array): number {
  let i = start;
  let value = 0;
  let c = text.charCodeAt(i);
  if (c === 0x30) {
    c = text.charCodeAt(i + 1);
    if (c === 0x2e || c === 0x65 || c === 0x45 || (c >= 0x30 && c <= 0x39)) return -1;
    out[0] = 0;
    return i + 1;
  }
  if (!(c >= 0x31 && c <= 0x39)) return -1;
  do {
    value = value * 10 + (c - 0x30);
    c = text.charCodeAt(++i);
  } while (c >= 0x30 && c <= 0x39 && i - start < 16);
  if (c === 0x2e || c === 0x65 || c === 0x45 || (c >= 0x30 && c <= 0x39)) return -1;
  if (value > MAX_TIMESTAMP_MS) return -1;
  out[0] = value;
  return i;
}

/** True when text[a0, a1) and text[b0, b1) hold the same characters. */
export function sameText(text: string, a0: number, a1: number, b0: number, b1: number): boolean {
  if (a1 - a0 !== b1 - b0) return false;
  for (let k = 0; k < a1 - a0; k++) if (text.charCodeAt(a0 + k) !== text.charCodeAt(b0 + k)) return false;
  return true;
}
