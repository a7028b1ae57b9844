// Message decoding: one SQS body → the samples it carries, in body order, neither sorted nor de-duplicated.
// Formats (CONTRACT.md section 3): Sample, Report, an array of those, a SenML pack, or any of them as base64.
// Every failure is an InvalidMessageError naming the message id and the JSON path of the field.
//
// Modules: body.ts (JSON vs base64, strict UTF-8), object-formats.ts (Sample/Report/array), senml.ts (RFC 8428),
// value.ts (sample values), timestamp.ts (ms and RFC 3339), unicode.ts (names/labels must be UTF-8 encodable),
// diagnostics.ts (paths and quotes for errors).

import { InvalidMessageError } from '../errors.js';
import type { DecodedMessage, DecodedSample, SourceMessage } from '../model.js';
import { bodyText, parseBodyText } from './body.js';
import { isPlainObject } from './diagnostics.js';
import { decodeObjectArray, decodeSampleOrReport, isObjectFormat } from './object-formats.js';
import { decodeSenmlPack, looksLikeSenml } from './senml.js';
import { checkSampleText, mayHoldLoneSurrogate } from './unicode.js';

export { parseBody } from './body.js';
export { parseNumericString, parseValue, VALUE_EXPECTATION } from './value.js';
export { MAX_TIMESTAMP_MS, parseRfc3339, parseTimestampMs } from './timestamp.js';
export { SENML_RELATIVE_TIME_LIMIT_S, SENML_VERSION } from './senml.js';

/**
 * An array is a SenML pack when its first element is an object with a SenML field and none of the bridge's own
 * fields (name, value, metrics); everything else is read as an array of Samples/Reports.
 */
function isSenmlPack(items: readonly unknown[]): boolean {
  const first = items[0];
  return isPlainObject(first) && !isObjectFormat(first) && looksLikeSenml(first);
}

export function decodeMessage(message: SourceMessage): DecodedMessage {
  const { messageId, sentTimestampMs } = message;
  const text = bodyText(messageId, message.body);
  const json = parseBodyText(messageId, text);
  const samples: DecodedSample[] = [];
  let skippedRecords = 0;
  if (Array.isArray(json)) {
    if (isSenmlPack(json)) skippedRecords = decodeSenmlPack(messageId, json, sentTimestampMs, samples);
    else decodeObjectArray(messageId, json, sentTimestampMs, samples);
  } else if (isPlainObject(json)) {
    decodeSampleOrReport(messageId, json, -1, sentTimestampMs, samples);
  } else {
    // parseBody only returns what starts with "{" or "[", so this is unreachable; kept so no input can slip through.
    throw new InvalidMessageError(messageId, '', 'expected a JSON object or array');
  }
  if (samples.length === 0) {
    const why =
      skippedRecords > 0
        ? `all ${skippedRecords} SenML records carry only string (vs) or data (vd) values`
        : 'the body holds no samples (an empty array, or empty "metrics")';
    throw new InvalidMessageError(messageId, '', `no numeric samples: ${why}`);
  }
  if (mayHoldLoneSurrogate(text.text)) checkSampleText(messageId, json, samples);
  return { samples, skippedRecords };
}
