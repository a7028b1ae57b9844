// The envelope a route's rule wraps around the MQTT payload:
//   {"payload": "<base64 of the MQTT payload>", "topic": "<topic>", "client_id": "<client id>",
//    "received_at": <ms since the epoch>, "route": "<route name>"}
// The payload travels as base64, so none of its fields can be taken for one of the envelope's.
import { TextDecoder } from 'node:util';
import { isPlainObject, kindOf, quote } from '../pipeline/decode/diagnostics.js';
import { InvalidMessageError } from '../pipeline/errors.js';
import type { Envelope } from './model.js';

export const ENVELOPE_FIELDS = ['payload', 'topic', 'client_id', 'received_at', 'route'] as const;

/** True when a parsed body is an envelope: an object with a string `route` and a `payload` (no Sample/Report has
 * either, so this never takes a bridge-format body for one). */
export function isEnvelope(json: unknown): json is Record<string, unknown> {
  return isPlainObject(json) && typeof json.route === 'string' && json.payload !== undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function optionalString(messageId: string, json: Record<string, unknown>, field: string): string | undefined {
  const value = json[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new InvalidMessageError(
      messageId,
      field,
      `expected a string, got ${kindOf(value)} ${quote(value)}`,
    );
  }
  return value;
}

/** Reads an envelope's fields; throws InvalidMessageError naming the field that is wrong. */
export function readEnvelope(messageId: string, json: Record<string, unknown>): Envelope {
  for (const key of Object.keys(json)) {
    if (!(ENVELOPE_FIELDS as readonly string[]).includes(key)) {
      throw new InvalidMessageError(
        messageId,
        key,
        `unknown envelope field (expected ${ENVELOPE_FIELDS.join(', ')})`,
      );
    }
  }
  const payload = json.payload;
  if (typeof payload !== 'string' || payload.length % 4 !== 0 || !BASE64.test(payload)) {
    throw new InvalidMessageError(
      messageId,
      'payload',
      `expected the base64 of the MQTT payload (what encode(*, 'base64') gives), got ${kindOf(payload)} ${quote(payload)}`,
    );
  }
  const receivedAt = json.received_at;
  if (receivedAt !== undefined && !(Number.isSafeInteger(receivedAt) && (receivedAt as number) >= 0)) {
    throw new InvalidMessageError(
      messageId,
      'received_at',
      `expected integer milliseconds since the Unix epoch (what timestamp() gives), got ${quote(receivedAt)}`,
    );
  }
  const topic = optionalString(messageId, json, 'topic');
  const clientId = optionalString(messageId, json, 'client_id');
  return {
    payload: Buffer.from(payload, 'base64'),
    route: json.route as string,
    ...(topic === undefined ? {} : { topic }),
    ...(clientId === undefined ? {} : { clientId }),
    ...(receivedAt === undefined ? {} : { receivedAtMs: receivedAt as number }),
  };
}

/** The MQTT payload as JSON (strict UTF-8); errors name the field `payload`. */
export function payloadJson(messageId: string, envelope: Envelope): unknown {
  if (envelope.payload.length === 0)
    throw new InvalidMessageError(messageId, 'payload', 'the MQTT payload is empty');
  let text: string;
  try {
    text = STRICT_UTF8.decode(envelope.payload);
  } catch {
    throw new InvalidMessageError(messageId, 'payload', 'the MQTT payload is not UTF-8 text (JSON expected)');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new InvalidMessageError(
      messageId,
      'payload',
      `the MQTT payload is not JSON: ${detail.slice(0, 200)}`,
    );
  }
}

/** The SQS body a route's rule makes of one MQTT message (for tests, the CLI and anyone sending by hand). */
export function buildEnvelope(message: {
  readonly payload: Buffer | string;
  readonly topic: string;
  readonly clientId?: string;
  readonly receivedAtMs: number;
  readonly route: string;
}): string {
  const bytes = typeof message.payload === 'string' ? Buffer.from(message.payload, 'utf8') : message.payload;
  return JSON.stringify({
    payload: bytes.toString('base64'),
    topic: message.topic,
    // clientid() always gives a value over MQTT ("n/a" otherwise); undefined here leaves the field out.
    ...(message.clientId === undefined ? {} : { client_id: message.clientId }),
    received_at: message.receivedAtMs,
    route: message.route,
  });
}
