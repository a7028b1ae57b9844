// How decoder errors say where and what: JSON paths into the body and short quotes of offending values.
// Only error paths call these, so they may be slow; the hot path never builds a path string.

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const QUOTE_LIMIT = 64;

/** `parent.key`, or `parent["odd key"]` when the key is not a plain identifier; a top-level key has no dot. */
export function keyPath(parent: string, key: string): string {
  if (IDENTIFIER.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** A JSON rendering of a value, cut to 64 characters, for "got …" in error messages. */
export function quote(value: unknown): string {
  // JSON.stringify writes Infinity (a literal like 1e400 after JSON.parse) as "null".
  if (typeof value === 'number') return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // Too deep to render (a stack overflow in stringify) must not turn a bad message into a crash.
    text = Array.isArray(value) ? '[…]' : '{…}';
  }
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
}

/** "an object", "a string", … for messages that name a wrong type. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'object':
      return 'an object';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return typeof value;
  }
}

/** "null", "a number 5", "an object {…}": what a field held, for "got …" in error messages. */
export function described(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  return `${kindOf(value)} ${quote(value)}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
