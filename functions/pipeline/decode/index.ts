// Message decoding: one SQS body → the samples it carries, in body order, neither sorted nor de-duplicated.
// Formats (docs/formats.md): Sample, Report, an array of those, a SenML pack, or any of them as base64.
// Every failure is an InvalidMessageError naming the message id and the JSON path of the field.
//
// Modules: body.ts (JSON vs base64, strict UTF-8), object-formats.ts (Sample/Report/array), senml.ts (RFC 8428),
// value.ts (sample values), timestamp.ts (ms and RFC 3339), unicode.ts (names/labels must be UTF-8 encodable),
// diagnostics.ts (paths and quotes for errors), sample-window.ts (timestamps around the arrival time). The fast
// path beside it: object-scanner.ts with json-lexer.ts, scanned-object.ts and template-store.ts.

import type { SampleWindow } from '../config.js';
import { InvalidMessageError } from '../errors.js';
import type { DecodedMessage, DecodedSample, SourceMessage } from '../model.js';
import { bodyText, parseBodyText, parseBodyTextWithSources } from './body.js';
import { isPlainObject } from './diagnostics.js';
import {
  decodeObjectArray,
  decodeSampleOrReport,
  isObjectFormat,
  NumberSourceNeeded,
  type DecodeContext,
} from './object-formats.js';
import { decodeSenmlPack, looksLikeSenml } from './senml.js';
import { checkSampleText, mayHoldLoneSurrogate } from './unicode.js';

export { parseBody } from './body.js';
export { parseNumericString, parseValue, VALUE_EXPECTATION } from './value.js';
export { MAX_TIMESTAMP_MS, parseRfc3339, parseTimestampMs } from './timestamp.js';
export { SENML_RELATIVE_TIME_LIMIT_S, SENML_VERSION } from './senml.js';

/** Checks decodeMessage makes beyond the formats' own rules. */
export interface DecodeOptions {
  /** Sample timestamps accepted around the message's arrival; no check when absent. */
  readonly window?: SampleWindow;
  /** Samples one message may hold; no cap when absent. */
  readonly maxSamples?: number;
}

/**
 * An array is a SenML pack when its first element is an object with a SenML field and none of the bridge's own
 * fields (name, value, metrics); everything else is read as an array of Samples/Reports.
 */
function isSenmlPack(items: readonly unknown[]): boolean {
  const first = items[0];
  return isPlainObject(first) && !isObjectFormat(first) && looksLikeSenml(first);
}

/** The samples of a parsed body, and the SenML records skipped. */
function decodeJson(ctx: DecodeContext, json: unknown, samples: DecodedSample[]): number {
  if (Array.isArray(json)) {
    if (isSenmlPack(json)) return decodeSenmlPack(ctx, json, samples);
    decodeObjectArray(ctx, json, samples);
  } else if (isPlainObject(json)) {
    decodeSampleOrReport(ctx, json, -1, samples);
  } else {
    // parseBody only returns what starts with "{" or "[", so this is unreachable; kept so no input can slip through.
    throw new InvalidMessageError(ctx.messageId, '', 'expected a JSON object or array');
  }
  return 0;
}

export function decodeMessage(message: SourceMessage, options: DecodeOptions = {}): DecodedMessage {
  const { messageId, sentTimestampMs } = message;
  const text = bodyText(messageId, message.body);
  let json = parseBodyText(messageId, text);
  let samples: DecodedSample[] = [];
  let skippedRecords: number;
  const ctx: DecodeContext = { messageId, sentTimestampMs, window: options.window };
  try {
    skippedRecords = decodeJson(ctx, json, samples);
  } catch (error) {
    if (!(error instanceof NumberSourceNeeded)) throw error;
    // Rare: a number as a label value. Parsed again, this time keeping the numbers' source text.
    const parsed = parseBodyTextWithSources(messageId, text);
    json = parsed.json;
    samples = [];
    skippedRecords = decodeJson({ ...ctx, numberSources: parsed.sources }, json, samples);
  }
  if (samples.length === 0) {
    const why =
      skippedRecords > 0
        ? `all ${skippedRecords} SenML records carry only string (vs) or data (vd) values`
        : 'the body holds no samples (an empty array, or empty "metrics")';
    throw new InvalidMessageError(messageId, '', `no numeric samples: ${why}`);
  }
  if (options.maxSamples !== undefined && samples.length > options.maxSamples) {
    throw new InvalidMessageError(
      messageId,
      '',
      `the body holds ${samples.length} samples; the limit per message is ${options.maxSamples} (MAX_SAMPLES_PER_MESSAGE)`,
    );
  }
  if (mayHoldLoneSurrogate(text.text)) checkSampleText(messageId, json, samples);
  return { samples, skippedRecords };
}
