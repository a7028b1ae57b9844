// Names and label values must be encodable as UTF-8 (protobuf strings; receivers reject a request otherwise).
// Valid JSON can still produce a lone UTF-16 surrogate through an escape such as "\ud800". The body's text is
// scanned once (native, fast); only a suspicious body has its samples checked one by one.

import { InvalidMessageError } from '../errors.js';
import type { DecodedSample } from '../model.js';
import { indexPath, keyPath, quote } from './diagnostics.js';

// String.prototype.isWellFormed exists from Node 20 (V8 11.3), but TypeScript types it only from lib ES2024.
const isWellFormedText = (String.prototype as unknown as { isWellFormed: (this: string) => boolean })
  .isWellFormed;

export function isWellFormed(text: string): boolean {
  return isWellFormedText.call(text);
}

/** True when the JSON text may produce a lone surrogate: a \uD800-\uDFFF escape, or one already in the text. */
export function mayHoldLoneSurrogate(jsonText: string): boolean {
  return jsonText.includes('\\ud') || jsonText.includes('\\uD') || !isWellFormed(jsonText);
}

/**
 * The JSON path of the first key or string equal to `target` inside `json`, or undefined. Iterative, because a
 * body may nest arrays far deeper than the call stack allows.
 */
function pathOf(json: unknown, target: string): string | undefined {
  const stack: Array<[unknown, string]> = [[json, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (value === target) return path;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], indexPath(path, i)]);
    } else if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      for (const [key] of entries) if (key === target) return keyPath(path, key);
      for (let i = entries.length - 1; i >= 0; i--)
        stack.push([entries[i]![1], keyPath(path, entries[i]![0])]);
    }
  }
  return undefined;
}

/** Throws when a sample's name, label name or label value is not well-formed UTF-16 (so not encodable as UTF-8). */
export function checkSampleText(messageId: string, json: unknown, samples: readonly DecodedSample[]): void {
  let checkedLabels: Readonly<Record<string, string>> | undefined;
  for (const sample of samples) {
    let bad = isWellFormed(sample.name) ? undefined : sample.name;
    if (bad === undefined && sample.labels !== checkedLabels) {
      for (const key in sample.labels) {
        if (!isWellFormed(key)) bad = key;
        else if (!isWellFormed(sample.labels[key]!)) bad = sample.labels[key];
        if (bad !== undefined) break;
      }
      checkedLabels = sample.labels;
    }
    if (bad !== undefined) {
      throw new InvalidMessageError(
        messageId,
        pathOf(json, bad) ?? '',
        `expected text that is valid UTF-8, got a lone UTF-16 surrogate (from an escape such as "\\ud800") in ${quote(bad)}`,
      );
    }
  }
}
