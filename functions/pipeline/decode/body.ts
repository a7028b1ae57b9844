// The SQS body → one parsed JSON value. A body is UTF-8 JSON, or the base64 of UTF-8 JSON (the IoT rule SQS
// action with useBase64). The first non-blank character decides: '{' or '[' is JSON, anything else base64; JSON
// bodies are always objects or arrays, and neither character is in the base64 alphabet, so this never guesses wrong.

import { TextDecoder } from 'node:util';
import { InvalidMessageError } from '../errors.js';
import { quote } from './diagnostics.js';
import type { NumberSources } from './object-formats.js';

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const REASON_LIMIT = 200;

function isBlank(c: number): boolean {
  // JSON's four whitespace characters, plus a byte-order mark some tools put first.
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xfeff;
}

function firstContent(text: string): number {
  let i = 0;
  while (i < text.length && isBlank(text.charCodeAt(i))) i++;
  return i;
}

type Reviver = (this: unknown, key: string, value: unknown) => unknown;

function parseJson(messageId: string, text: string, problem: string, reviver?: Reviver): unknown {
  try {
    return JSON.parse(text, reviver);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const cut = detail.length > REASON_LIMIT ? `${detail.slice(0, REASON_LIMIT)}…` : detail;
    throw new InvalidMessageError(messageId, '', `${problem}: ${cut}`);
  }
}

// Once per message, not per sample: V8's compiled regex checks the alphabet about twice as fast as a char loop.
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Strict base64 (standard or URL-safe alphabet, padding optional but only at the end) to bytes, or undefined.
 * Buffer.from(…, 'base64') alone skips characters it does not know (and reads U+012B as "+"), which would turn
 * junk into bytes.
 */
function decodeBase64(text: string): Buffer | undefined {
  const start = firstContent(text);
  let end = text.length;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  const data = start === 0 && end === text.length ? text : text.slice(start, end);
  if (!BASE64.test(data)) return undefined;
  let padding = 0;
  while (data.charCodeAt(data.length - 1 - padding) === 0x3d /* = */) padding++;
  const dataLength = data.length - padding;
  if (dataLength % 4 === 1) return undefined;
  if (padding > 0 && data.length % 4 !== 0) return undefined;
  return Buffer.from(data, 'base64');
}

/** A body that is not an object or array but still valid JSON (42, "x", null) gets a message saying so. */
function scalarJsonProblem(text: string): string | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return `expected a JSON object or array (or its base64), got ${quote(value)}`;
  } catch {
    return undefined;
  }
}

/** The body's JSON value (an object or array). Throws InvalidMessageError for anything else. */
export function parseBody(messageId: string, body: string): unknown {
  return parseBodyText(messageId, bodyText(messageId, body));
}

/** The JSON text of a body, and whether it came out of base64 (error messages say so). */
export interface BodyText {
  readonly text: string;
  readonly base64: boolean;
}

/** Parses what `bodyText` returned, recording the source text of every number (where the runtime gives it). */
export function parseBodyTextWithSources(
  messageId: string,
  body: BodyText,
): { json: unknown; sources: NumberSources } {
  const sources: NumberSources = new WeakMap();
  // JSON.parse hands a reviver the source text of primitives (Node 21+); `this` is the object holding the value.
  const reviver = function (
    this: object,
    key: string,
    value: unknown,
    context?: { source?: string },
  ): unknown {
    if (typeof value === 'number' && context?.source !== undefined) {
      let byKey = sources.get(this);
      if (byKey === undefined) sources.set(this, (byKey = new Map()));
      byKey.set(key, context.source);
    }
    return value;
  };
  const problem = body.base64 ? 'invalid JSON inside base64' : 'invalid JSON';
  // The body parsed once already, so this cannot fail; parseJson keeps the error text if it somehow did.
  return { json: parseJson(messageId, body.text, problem, reviver as Reviver), sources };
}

/** Parses what `bodyText` returned. */
export function parseBodyText(messageId: string, body: BodyText): unknown {
  return parseJson(messageId, body.text, body.base64 ? 'invalid JSON inside base64' : 'invalid JSON');
}

/**
 * The JSON text of a body: the body itself, or its base64 decoded as strict UTF-8. It starts with "{" or "[".
 * Throws InvalidMessageError for anything else.
 */
export function bodyText(messageId: string, body: string): BodyText {
  const start = firstContent(body);
  if (start === body.length) {
    throw new InvalidMessageError(messageId, '', 'empty body; expected JSON or base64 of JSON');
  }
  const first = body.charCodeAt(start);
  if (first === 0x7b /* { */ || first === 0x5b /* [ */) {
    // JSON.parse skips JSON whitespace itself but not a byte-order mark.
    return { text: start === 0 ? body : body.slice(start), base64: false };
  }

  const bytes = decodeBase64(body);
  if (bytes === undefined) {
    const reason =
      scalarJsonProblem(body) ??
      `neither JSON (which starts with "{" or "[") nor base64 of JSON; it starts with ${quote(body.slice(start, start + 16))}`;
    throw new InvalidMessageError(messageId, '', reason);
  }
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
  } catch {
    const reason = scalarJsonProblem(body) ?? 'base64 that does not decode to UTF-8 text';
    throw new InvalidMessageError(messageId, '', reason);
  }
  const inner = firstContent(text);
  const innerFirst = text.charCodeAt(inner);
  if (innerFirst !== 0x7b && innerFirst !== 0x5b) {
    const reason =
      scalarJsonProblem(body) ??
      `base64 of text that is not a JSON object or array; it starts with ${quote(text.slice(inner, inner + 16))}`;
    throw new InvalidMessageError(messageId, '', reason);
  }
  return { text: inner === 0 ? text : text.slice(inner), base64: true };
}
