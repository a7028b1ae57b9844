// MQTT topic filters with named segments: `telemetry/{site}/{device}/#` is the filter `telemetry/+/+/#` whose
// second and third levels become the labels `site` and `device`. A route's filter goes into its rule's
// `FROM '…'`, so it keeps to what AWS IoT accepts there (MQTT 3.1.1 section 4.7 wildcards, at most 8 levels).

import { isValidLabelName } from '../pipeline/names.js';

/** One level of a topic pattern. */
export type TopicLevel =
  | { readonly kind: 'literal'; readonly text: string }
  /** `+` or `{label}`: exactly one level, kept as a label when named. */
  | { readonly kind: 'one'; readonly label?: string }
  /** `#`: this level and every level below it (also none), only last. */
  | { readonly kind: 'rest' };

export interface TopicPattern {
  /** The pattern as configured, e.g. `telemetry/{site}/{device}/#`. */
  readonly template: string;
  /** The MQTT topic filter for the rule's FROM clause, e.g. `telemetry/+/+/#`. */
  readonly filter: string;
  readonly levels: readonly TopicLevel[];
  /** The label names the pattern sets, in level order. */
  readonly labels: readonly string[];
}

/** AWS IoT: topics and filters have at most 8 levels (7 slashes) and 256 bytes. */
export const MAX_TOPIC_LEVELS = 8;
export const MAX_TOPIC_BYTES = 256;

const NAMED = /^\{([^{}]*)\}$/;

function parseLevel(text: string, index: number, count: number, seen: Set<string>): TopicLevel {
  if (text === '#') {
    if (index !== count - 1) throw new Error('"#" must be the last level');
    return { kind: 'rest' };
  }
  if (text === '+') return { kind: 'one' };
  const named = NAMED.exec(text);
  if (named) {
    const label = named[1]!;
    if (!isValidLabelName(label)) {
      throw new Error(
        `{${label}} is not a valid label name (letters, digits and _, not starting with a digit)`,
      );
    }
    if (label.startsWith('__')) throw new Error(`{${label}}: label names starting with __ are reserved`);
    if (seen.has(label)) throw new Error(`{${label}} appears twice`);
    seen.add(label);
    return { kind: 'one', label };
  }
  if (/[+#{}]/.test(text)) {
    throw new Error(`level ${JSON.stringify(text)} mixes a wildcard or {label} with text; use a whole level`);
  }
  return { kind: 'literal', text };
}

/** Parses and checks a topic pattern; throws an Error whose message says what is wrong (the caller adds where). */
export function parseTopicPattern(template: string): TopicPattern {
  if (template.length === 0) throw new Error('must not be empty');
  // The filter becomes a single-quoted SQL string literal; AWS documents no escape for a quote inside it.
  if (template.includes("'") || template.includes('\u0000'))
    throw new Error('must not contain a single quote or a NUL character');
  const parts = template.split('/');
  if (parts.length > MAX_TOPIC_LEVELS) {
    throw new Error(`has ${parts.length} levels; AWS IoT allows at most ${MAX_TOPIC_LEVELS}`);
  }
  const seen = new Set<string>();
  const levels = parts.map((part, i) => parseLevel(part, i, parts.length, seen));
  const filter = levels
    .map((level) => (level.kind === 'literal' ? level.text : level.kind === 'one' ? '+' : '#'))
    .join('/');
  if (Buffer.byteLength(filter, 'utf8') > MAX_TOPIC_BYTES) {
    throw new Error(`is longer than ${MAX_TOPIC_BYTES} bytes`);
  }
  return { template, filter, levels, labels: [...seen] };
}

const BASIC_INGEST = /^\$aws\/rules\/[^/]+\//;

/**
 * The labels a topic gives under `pattern`, or undefined when the topic does not match it. A Basic Ingest prefix
 * (`$aws/rules/<rule>/`) is ignored unless the pattern itself starts with `$aws/rules/`.
 */
export function matchTopic(pattern: TopicPattern, topic: string): Record<string, string> | undefined {
  const text =
    BASIC_INGEST.test(topic) && !pattern.template.startsWith('$aws/rules/')
      ? topic.replace(BASIC_INGEST, '')
      : topic;
  const parts = text.split('/');
  const labels: Record<string, string> = {};
  const { levels } = pattern;
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.kind === 'rest') return labels;
    const part = parts[i];
    if (part === undefined) return undefined;
    if (level.kind === 'literal') {
      if (part !== level.text) return undefined;
    } else if (level.label !== undefined) {
      labels[level.label] = part;
    }
  }
  return parts.length === levels.length ? labels : undefined;
}

/** Thing name (and shadow name) of a Device Shadow topic `$aws/things/<thing>/shadow[/name/<shadow>]/…`. */
export function shadowTopicParts(topic: string): { thing: string; shadow?: string } | undefined {
  const parts = topic.split('/');
  if (parts[0] !== '$aws' || parts[1] !== 'things' || !parts[2] || parts[3] !== 'shadow') return undefined;
  if (parts[4] === 'name') return parts[5] ? { thing: parts[2], shadow: parts[5] } : undefined;
  return { thing: parts[2] };
}
