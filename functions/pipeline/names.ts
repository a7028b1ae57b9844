// Prometheus name sanitisation. Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*:
// every other character (a whole code point, however many UTF-16 units it takes) becomes `_`, and a name that
// would start with a digit gets a `_` prefix.

function isLetterOrUnderscore(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isValid(name: string, allowColon: boolean): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (isLetterOrUnderscore(code) || (allowColon && code === 58)) continue;
    if (i > 0 && isDigit(code)) continue;
    return false;
  }
  return true;
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

// Devices repeat the same few names in every message: remember the answers, within bounds (entries and name
// length) so that a flood of distinct or huge names cannot grow a warm Lambda's memory without limit.
const CACHE_LIMIT = 10_000;
const CACHED_NAME_LIMIT = 256;
const metricCache = new Map<string, string>();
const labelCache = new Map<string, string>();

function cached(cache: Map<string, string>, name: string, allowColon: boolean): string {
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

/** A valid Prometheus metric name for `name` ('' stays '', which callers reject). */
export function sanitiseMetricName(name: string): string {
  return cached(metricCache, name, true);
}

/** A valid Prometheus label name for `name` ('' stays '', which callers reject). */
export function sanitiseLabelName(name: string): string {
  return cached(labelCache, name, false);
}

export function isValidMetricName(name: string): boolean {
  return isValid(name, true);
}

export function isValidLabelName(name: string): boolean {
  return isValid(name, false);
}

/** Entries held by the name caches (for tests and diagnostics). */
export function cachedNameCount(): number {
  return metricCache.size + labelCache.size;
}
