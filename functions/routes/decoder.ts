// Decoding with routes: an envelope body is decoded by its route's format and labelled from its topic and client
// id; any other body is decoded as before (decodeMessage). Labels from the envelope and the route win over labels
// in the payload, so a device cannot write under another device's identity.
import { bodyText, parseBodyText } from '../pipeline/decode/body.js';
import { decodeMessage, type DecodeOptions } from '../pipeline/decode/index.js';
import { windowProblem } from '../pipeline/decode/sample-window.js';
import { decodeSenmlPack } from '../pipeline/decode/senml.js';
import { quote } from '../pipeline/decode/diagnostics.js';
import { InvalidMessageError } from '../pipeline/errors.js';
import type { DecodedMessage, DecodedSample, SourceMessage } from '../pipeline/model.js';
import { sanitiseLabelName } from '../pipeline/names.js';
import { isEnvelope, payloadJson, readEnvelope } from './envelope.js';
import type { Envelope, Route, RoutedMessage } from './model.js';
import type { PathCache } from './flatten.js';
import { decodeReadings, decodeShadow, plainContext } from './readings.js';
import { matchTopic, shadowTopicParts } from './topic.js';

/** `payload` + a decoder's field path: `payload.metrics.x`, `payload[3].bt`, `payload`. */
function inPayload(field: string): string {
  if (field === '') return 'payload';
  return field.startsWith('[') ? `payload${field}` : `payload.${field}`;
}

/** A decoder error about the payload, re-pointed at the envelope's `payload` field. */
function payloadError(messageId: string, error: unknown): never {
  if (error instanceof InvalidMessageError) {
    throw new InvalidMessageError(messageId, inPayload(error.field), error.reason);
  }
  throw error;
}

/** A payload's labels without the names the route reserves, then the envelope's labels over them. */
function mergeLabels(
  route: Route,
  payload: Readonly<Record<string, string>>,
  envelope: Readonly<Record<string, string>>,
): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const name in payload) {
    // Compared sanitised: a payload label "dev-id" would otherwise become the topic's dev_id.
    if (!route.reservedLabels.has(sanitiseLabelName(name))) labels[name] = payload[name]!;
  }
  return Object.assign(labels, envelope);
}

/** The samples, unless there are none: a message with nothing to write is invalid. */
function checked(messageId: string, samples: DecodedSample[], ignored: readonly string[]): DecodedSample[] {
  if (samples.length > 0) return samples;
  const why = ignored.length > 0 ? `; ignored: ${ignored.slice(0, 5).join(', ')}` : '';
  throw new InvalidMessageError(messageId, 'payload', `no numeric values to write${why}`);
}

/** The cap on samples and the timestamp window, applied to a routed message as decodeMessage applies them. */
function checkLimits(message: SourceMessage, routed: RoutedMessage, options: DecodeOptions): void {
  const { messageId } = message;
  const count = routed.samples.length;
  if (options.maxSamples !== undefined && count > options.maxSamples) {
    throw new InvalidMessageError(
      messageId,
      'payload',
      `the payload holds ${count} samples; the limit per message is ${options.maxSamples} (MAX_SAMPLES_PER_MESSAGE)`,
    );
  }
  if (options.window === undefined) return;
  const arrivalMs = routed.envelope.receivedAtMs ?? message.sentTimestampMs;
  for (const sample of routed.samples) {
    const problem = windowProblem(sample.timestampMs, arrivalMs, options.window);
    if (problem !== undefined) {
      throw new InvalidMessageError(messageId, inPayload(sample.path ?? ''), `${sample.name}: ${problem}`);
    }
  }
}

export class RouteDecoder {
  private readonly byName: ReadonlyMap<string, Route>;
  /** Per route: the path facts of readings and shadow payloads, kept from message to message. */
  private readonly paths = new Map<Route, PathCache>();

  constructor(readonly routes: readonly Route[]) {
    this.byName = new Map(routes.map((route) => [route.name, route]));
  }

  private pathCache(route: Route): PathCache {
    let cache = this.paths.get(route);
    if (cache === undefined) {
      cache = plainContext(route).paths;
      this.paths.set(route, cache);
    }
    return cache;
  }

  /** What planBatch calls instead of decodeMessage: envelopes by their route, other bodies as before. */
  decode(message: SourceMessage, options: DecodeOptions = {}): DecodedMessage {
    // Most bodies are not envelopes: those go straight to decodeMessage, parsed once.
    if (!message.body.includes('"route"') && !message.body.startsWith('ey')) {
      return decodeMessage(message, options);
    }
    const routed = this.decodeEnvelope(message, options);
    if (routed === undefined) return decodeMessage(message, options);
    checkLimits(message, routed, options);
    return routed;
  }

  /** The routed decoding of an envelope body; undefined when the body is not an envelope. */
  decodeEnvelope(message: SourceMessage, options: DecodeOptions = {}): RoutedMessage | undefined {
    const { messageId } = message;
    const json = parseBodyText(messageId, bodyText(messageId, message.body));
    if (!isEnvelope(json)) return undefined;
    const envelope = readEnvelope(messageId, json);
    const route = this.byName.get(envelope.route);
    if (route === undefined) {
      const known = [...this.byName.keys()].join(', ') || 'none';
      throw new InvalidMessageError(
        messageId,
        'route',
        `unknown route ${quote(envelope.route)} (known: ${known})`,
      );
    }
    const labels = this.envelopeLabels(messageId, route, envelope);
    const defaultMs = envelope.receivedAtMs ?? message.sentTimestampMs;
    const document = payloadJson(messageId, envelope);
    if (route.format === 'readings' || route.format === 'shadow') {
      // These name payload fields themselves (payload.ENERGY.Power[0]).
      const decode = route.format === 'readings' ? decodeReadings : decodeShadow;
      const context = {
        paths: this.pathCache(route),
        labels: (payload: Readonly<Record<string, string>>) => mergeLabels(route, payload, labels),
      };
      const mapped = decode(messageId, route, document, defaultMs, context);
      return {
        samples: checked(messageId, mapped.samples, mapped.ignored),
        skippedRecords: mapped.ignored.length,
        route,
        envelope,
        ignored: mapped.ignored,
      };
    }
    const samples: DecodedSample[] = [];
    let skippedRecords = 0;
    try {
      skippedRecords = this.decodeBridgeFormat(
        messageId,
        route,
        envelope,
        document,
        defaultMs,
        samples,
        options,
      );
    } catch (error) {
      payloadError(messageId, error);
    }
    const out = this.labelled(route, checked(messageId, samples, []), labels);
    return { samples: out, skippedRecords, route, envelope, ignored: [] };
  }

  /** senml and auto: the pipeline's own decoders on the payload; returns the records skipped. */
  private decodeBridgeFormat(
    messageId: string,
    route: Route,
    envelope: Envelope,
    document: unknown,
    defaultMs: number,
    out: DecodedSample[],
    options: DecodeOptions,
  ): number {
    if (route.format === 'senml') {
      if (!Array.isArray(document)) {
        throw new InvalidMessageError(
          messageId,
          '',
          `expected a SenML pack (a JSON array of records), got ${quote(document)}`,
        );
      }
      const context = { messageId, sentTimestampMs: defaultMs, window: options.window };
      return decodeSenmlPack(context, document, out);
    }
    const body = envelope.payload.toString('utf8');
    const decoded = decodeMessage({ messageId, body, sentTimestampMs: defaultMs }, options);
    out.push(...decoded.samples);
    return decoded.skippedRecords;
  }

  /** Labels from the topic template, the client id, the shadow topic and the route's constants. */
  private envelopeLabels(messageId: string, route: Route, envelope: Envelope): Record<string, string> {
    const labels: Record<string, string> = { ...route.labels };
    const needsTopic = route.topic.labels.length > 0 || route.format === 'shadow';
    if (needsTopic) {
      if (envelope.topic === undefined) {
        throw new InvalidMessageError(
          messageId,
          'topic',
          `missing; route ${route.name} takes labels from the topic`,
        );
      }
      const fromTopic = matchTopic(route.topic, envelope.topic);
      if (fromTopic === undefined) {
        throw new InvalidMessageError(
          messageId,
          'topic',
          `${quote(envelope.topic)} does not match route ${route.name}'s topic ${route.topic.template}`,
        );
      }
      Object.assign(labels, fromTopic);
      if (route.format === 'shadow') {
        const parts = shadowTopicParts(envelope.topic);
        if (parts === undefined) {
          throw new InvalidMessageError(
            messageId,
            'topic',
            `${quote(envelope.topic)} is not a Device Shadow topic`,
          );
        }
        labels.thing = parts.thing;
        if (parts.shadow !== undefined) labels.shadow = parts.shadow;
      }
    }
    if (route.clientIdLabel !== undefined && envelope.clientId !== undefined) {
      labels[route.clientIdLabel] = envelope.clientId;
    }
    return labels;
  }

  /** Each sample's labels: its payload labels without the reserved names, then the envelope's. */
  private labelled(
    route: Route,
    samples: DecodedSample[],
    envelope: Record<string, string>,
  ): DecodedSample[] {
    const merged = new Map<Readonly<Record<string, string>>, Record<string, string>>();
    const prefix = route.format === 'auto' || route.format === 'senml' ? route.metricPrefix : '';
    return samples.map((sample) => {
      let labels = merged.get(sample.labels);
      if (labels === undefined) {
        labels = mergeLabels(route, sample.labels, envelope);
        merged.set(sample.labels, labels);
      }
      return { ...sample, name: prefix + sample.name, labels };
    });
  }
}
