// Shared helpers of the routes tests: envelopes built as the route's rule would.
import { buildEnvelope } from '../../../functions/routes/envelope.js';
import { RouteDecoder } from '../../../functions/routes/decoder.js';
import type { RouteConfig, RoutedMessage } from '../../../functions/routes/model.js';
import { validateRoutes } from '../../../functions/routes/validate.js';

export const RECEIVED_AT = 1_764_504_001_000;

/** The readings route of FLAT_READINGS (support/payloads.ts): site and device from the topic. */
export const FLAT_ROUTE = {
  name: 'flat',
  topic: 'telemetry/{site}/{device}',
  format: 'readings',
  timestampField: 'ts',
  timestampUnit: 's',
  valueMap: { CLOSED: 0, OPEN: 1 },
} as const satisfies RouteConfig;

/** One route per shared fleet payload (support/payloads.ts), as the end-to-end and map tests configure them. */
export const FLEET_ROUTES: readonly RouteConfig[] = [
  { ...FLAT_ROUTE, clientIdLabel: 'thing' },
  { name: 'tasmota', topic: 'tele/{device}/SENSOR', format: 'readings', metricPrefix: 'tasmota_' },
  { name: 'pumps', topic: '$aws/things/+/shadow/update/documents', format: 'shadow' },
  { name: 'ahu', topic: 'sensors/{device}/senml', format: 'senml' },
];

/** Decodes one MQTT message as the route's rule and the function would. */
export function route(
  config: RouteConfig,
  message: { payload: Buffer | string | object; topic: string; clientId?: string; receivedAtMs?: number },
): RoutedMessage {
  const decoder = new RouteDecoder(validateRoutes([config]));
  const bytes =
    Buffer.isBuffer(message.payload) || typeof message.payload === 'string'
      ? message.payload
      : JSON.stringify(message.payload);
  const body = buildEnvelope({
    payload: bytes,
    topic: message.topic,
    clientId: message.clientId ?? 'client-1',
    receivedAtMs: message.receivedAtMs ?? RECEIVED_AT,
    route: config.name,
  });
  const routed = decoder.decodeEnvelope({ messageId: 'm-1', body, sentTimestampMs: 1 });
  if (routed === undefined) throw new Error('not recognised as an envelope');
  return routed;
}

/** Samples as compact rows for deepEqual. */
export function rows(message: RoutedMessage): Array<[string, Record<string, string>, number, number]> {
  return message.samples.map((s) => [s.name, { ...s.labels }, s.value, s.timestampMs]);
}
