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

/** The JSON path of the first key or string equal to `target` inside `json`, or '' (the whole body). */
function pathOf(json: unknown, target: string, path: string): string | undefined {
  if (typeof json === 'string') return json === target ? path : undefined;
  if (Array.isArray(json)) {
    for (let i = 0; i < json.length; i++) {
      const found = pathOf(json[i], target, indexPath(path, i));
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof json === 'object' && json !== null) {
    for (const [key, value] of Object.entries(json)) {
      if (key === target) return keyPath(path, key);
      const found = pathOf(value, target, keyPath(path, key));
      if (found !== undefined) return found;
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
        pathOf(json, bad, '') ?? '',
        `expected text that is valid UTF-8, got a lone UTF-16 surrogate (from an escape such as "\\ud800") in ${quote(bad)}`,
      );
    }
  }
}
