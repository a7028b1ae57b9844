// Prometheus name sanitisation. Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*:
// every other character (a whole code point, however many UTF-16 units it takes) becomes `_`, and a name that
// would start with a digit gets a `_` prefix.

function isLetterOrUnderscore(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Whether text[start, end) is a valid name: no copy is made of a name read from a longer text. */
function isValidAt(text: string, start: number, end: number, allowColon: boolean): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (isLetterOrUnderscore(code) || (allowColon && code === 58)) continue;
    if (i > start && isDigit(code)) continue;
    return false;
  }
  return true;
}

function isValid(name: string, allowColon: boolean): boolean {
  return isValidAt(name, 0, name.length, allowColon);
}

function rewrite(name: string, allowColon: boolean): string {
  let out = '';
  for (const char of name) {
    const code = char.charCodeAt(0);
    const keep =
      char.length === 1 && (isLetterOrUnderscore(code) || isDigit(code) || (allowColon && code === 58));
    out += keep ? char : '_';
  }
  return isDigit(out.charCodeAt(0)) ? `_${out}` : out;
}

/** A valid Prometheus metric name for `name` ('' stays '', which callers reject). */
export function sanitiseMetricName(name: string): string {
  return isValid(name, true) ? name : rewrite(name, true);
}

/** A valid Prometheus label name for `name` ('' stays '', which callers reject). */
export function sanitiseLabelName(name: string): string {
  return isValid(name, false) ? name : rewrite(name, false);
}

export function isValidMetricName(name: string): boolean {
  return isValid(name, true);
}

/** Whether text[start, end) is a valid metric name as it is (sanitising would leave it unchanged). */
export function isValidMetricNameAt(text: string, start: number, end: number): boolean {
  return isValidAt(text, start, end, true);
}

export function isValidLabelName(name: string): boolean {
  return isValid(name, false);
}

/** Names held at most per cache, and the longest name remembered: a flood of distinct or huge names must not
 * grow a warm Lambda's memory without limit. */
const CACHE_LIMIT = 10_000;
const CACHED_NAME_LIMIT = 256;

/** Sanitisation that remembers its answers: devices repeat the same few invalid names in every message. */
export class NameSanitiser {
  private readonly metricNames = new Map<string, string>();
  private readonly labelNames = new Map<string, string>();

  metricName(name: string): string {
    return this.cached(this.metricNames, name, true);
  }

  labelName(name: string): string {
    return this.cached(this.labelNames, name, false);
  }

  /** Entries held by the caches (for tests and diagnostics). */
  get size(): number {
    return this.metricNames.size + this.labelNames.size;
  }

  private cached(cache: Map<string, string>, name: string, allowColon: boolean): string {
    if (isValid(name, allowColon)) return name;
    if (name.length > CACHED_NAME_LIMIT) return rewrite(name, allowColon);
    let result = cache.get(name);
    if (result === undefined) {
      result = rewrite(name, allowColon);
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(name, result);
    }
    return result;
  }
}
