// Each format on the payloads fleets publish, from envelopes built as the route's rule builds them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RouteDecoder } from '../../functions/routes/decoder.js';
import { buildEnvelope } from '../../functions/routes/envelope.js';
import { validateRoutes } from '../../functions/routes/validate.js';
import { InvalidMessageError } from '../../functions/pipeline/errors.js';
import {
  FLAT_READINGS,
  GATEWAY_BATCH,
  NESTED_ENERGY,
  SENML_PACK,
  SHADOW_UPDATE_DOCUMENTS,
  ZIGBEE_SENSOR,
} from './support/payloads.js';
import { FLAT_ROUTE, RECEIVED_AT, route, rows } from './support/routes.js';

test('readings: flat numbers, a mapped state, topic labels, a timestamp in seconds', () => {
  const message = route(FLAT_ROUTE, { payload: FLAT_READINGS.text, topic: FLAT_READINGS.topic });
  const labels = { site: 'north', device: 'd-0017' };
  const ts = 1_764_504_000_000;
  assert.deepEqual(rows(message), [
    ['temp', labels, 21.5, ts],
    ['hum', labels, 40.2, ts],
    ['co2', labels, 612, ts],
    ['battery', labels, 3.71, ts],
    ['door', labels, 0, ts],
    ['rssi', labels, -67, ts],
  ]);
  assert.deepEqual(message.ignored, []);
});

test('readings: nested keys joined with _, arrays by index suffix, prefix, strings ignored and counted', () => {
  const message = route(
    { name: 'tasmota', topic: 'tele/{device}/SENSOR', format: 'readings', metricPrefix: 'tasmota_' },
    { payload: NESTED_ENERGY.text, topic: NESTED_ENERGY.topic },
  );
  const names = message.samples.map((s) => s.name);
  assert.deepEqual(names.slice(0, 6), [
    'tasmota_ENERGY_Total',
    'tasmota_ENERGY_Yesterday',
    'tasmota_ENERGY_Today',
    'tasmota_ENERGY_Power_0',
    'tasmota_ENERGY_Power_1',
    'tasmota_ENERGY_Power_2',
  ]);
  assert.equal(message.samples.length, 16);
  assert.ok(
    message.samples.every((s) => s.timestampMs === RECEIVED_AT),
    'no timestampField: received_at',
  );
  assert.deepEqual(message.ignored, [
    'payload.Time ("2026-11-30T12:00:00")',
    'payload.ENERGY.TotalStartTime ("2026-01-01T00:00:00")',
  ]);
  assert.equal(message.skippedRecords, 2);
  assert.equal(message.samples[3]!.path, 'payload.ENERGY.Power[0]');
});

test('readings: booleans are 1/0; include and exclude patterns select leaves', () => {
  const message = route(
    { name: 'z', topic: 'zigbee2mqtt/{device}', format: 'readings', exclude: ['update', 'linkquality'] },
    { payload: ZIGBEE_SENSOR.text, topic: ZIGBEE_SENSOR.topic },
  );
  assert.deepEqual(
    message.samples.map((s) => [s.name, s.value]),
    [
      ['battery', 97],
      ['humidity', 44.1],
      ['occupancy', 0],
      ['temperature', 21.37],
      ['voltage', 3005],
    ],
  );
  const only = route(
    {
      name: 'z',
      topic: 'zigbee2mqtt/{device}',
      format: 'readings',
      include: ['**.installed_version', '**.latest_version'],
      exclude: ['*.latest_version'],
    },
    { payload: ZIGBEE_SENSOR.text, topic: ZIGBEE_SENSOR.topic },
  );
  assert.deepEqual(
    only.samples.map((s) => s.name),
    ['update_installed_version'],
  );
});

test('readings: labelFields, constant labels, client id label; the gateway forwards its id', () => {
  const message = route(
    {
      name: 'gw',
      topic: 'gw/{site}/batch',
      format: 'readings',
      labelFields: { gateway: 'gateway' },
      labels: { fleet: 'b' },
      clientIdLabel: 'client',
      timestampField: 'sent',
    },
    { payload: GATEWAY_BATCH.text, topic: GATEWAY_BATCH.topic, clientId: 'gw-b-01' },
  );
  assert.deepEqual(rows(message)[0], [
    'devices_0_temp',
    { gateway: 'gw-b-01', fleet: 'b', site: 'site-b', client: 'gw-b-01' },
    19.5,
    1_764_504_000_123,
  ]);
  assert.equal(message.samples.length, 5);
});

test('readings: timestamp units', () => {
  const at = (ts: unknown, unit: 'ms' | 's' | 'us' | 'ns' | 'rfc3339') =>
    route(
      { name: 'r', topic: 't/#', format: 'readings', timestampField: 'meta.t', timestampUnit: unit },
      { payload: { meta: { t: ts }, v: 1 }, topic: 't/x' },
    ).samples[0]!.timestampMs;
  assert.equal(at(1_764_504_000_123, 'ms'), 1_764_504_000_123);
  assert.equal(at(1_764_504_000.5, 's'), 1_764_504_000_500);
  assert.equal(at(1_764_504_000_123_456, 'us'), 1_764_504_000_123);
  assert.equal(at(1_764_504_000_123_456_000, 'ns'), 1_764_504_000_123);
  assert.equal(at('2025-11-30T12:00:00.250+01:00', 'rfc3339'), Date.UTC(2025, 10, 30, 11, 0, 0, 250));
  assert.throws(
    () => at('2026-11-30T12:00:00', 'rfc3339'),
    /field payload.meta.t: timestampField: expected an RFC 3339/,
  );
  assert.throws(
    () => at(-5, 's'),
    /field payload.meta.t: timestampField: expected a non-negative number of s/,
  );
});

test('readings: two paths with one metric name are an error naming both', () => {
  assert.throws(
    () =>
      route(
        { name: 'r', topic: 't/#', format: 'readings' },
        { payload: '{"a":{"b":1},"a_b":2}', topic: 't/x' },
      ),
    (error: unknown) => {
      assert.ok(error instanceof InvalidMessageError);
      assert.equal(error.field, 'payload.a_b');
      assert.match(error.reason, /metric name a_b comes from both payload.a.b and payload.a_b/);
      return true;
    },
  );
  assert.throws(
    () =>
      route(
        { name: 'r', topic: 't/#', format: 'readings' },
        { payload: '{"temp-c":1,"temp c":2}', topic: 't/x' },
      ),
    /metric name temp_c comes from both payload\["temp-c"\] and payload\["temp c"\]/,
  );
});

test('readings: a payload with nothing numeric is invalid and says what it ignored', () => {
  assert.throws(
    () => route({ name: 'r', topic: 't/#', format: 'readings' }, { payload: '{"state":"ON"}', topic: 't/x' }),
    /field payload: no numeric values to write; ignored: payload.state \("ON"\)/,
  );
});

test('shadow: reported leaves timestamped from metadata (seconds), thing from the topic', () => {
  const message = route(
    { name: 'pumps', topic: '$aws/things/+/shadow/update/documents', format: 'shadow' },
    { payload: SHADOW_UPDATE_DOCUMENTS.text, topic: SHADOW_UPDATE_DOCUMENTS.topic },
  );
  const thing = { thing: 'pump-7' };
  assert.deepEqual(rows(message), [
    ['flow_lpm', thing, 12.4, 1_764_504_000_000],
    ['pressure_inlet_kpa', thing, 211.9, 1_764_504_000_000],
    ['pressure_outlet_kpa', thing, 305.2, 1_764_504_000_000],
    ['running', thing, 1, 1_764_503_900_000],
  ]);
  assert.deepEqual(message.ignored, ['payload.current.state.reported.mode ("auto")']);
  const named = route(
    { name: 'pumps', topic: '$aws/things/+/shadow/name/+/update/documents', format: 'shadow' },
    { payload: SHADOW_UPDATE_DOCUMENTS.text, topic: '$aws/things/pump-7/shadow/name/cfg/update/documents' },
  );
  assert.deepEqual(named.samples[0]!.labels, { thing: 'pump-7', shadow: 'cfg' });
});

test('shadow: a document without current.state.reported names the field', () => {
  assert.throws(
    () =>
      route(
        { name: 's', topic: '$aws/things/+/shadow/update/documents', format: 'shadow' },
        {
          payload: { current: { state: { desired: { a: 1 } } } },
          topic: '$aws/things/t/shadow/update/documents',
        },
      ),
    /field payload.current.state.reported: expected an object \(a Device Shadow update\/documents message\), got nothing/,
  );
});

test('senml: the pack resolved as RFC 8428 says, topic labels added', () => {
  const message = route(
    { name: 'ahu', topic: 'sensors/{device}/senml', format: 'senml' },
    { payload: SENML_PACK.text, topic: SENML_PACK.topic },
  );
  assert.deepEqual(
    message.samples.map((s) => [s.name, s.labels.unit, s.labels.device, s.value, s.timestampMs]),
    [
      ['supply_temp', 'Cel', 'ahu-3', 14.2, 1_764_504_000_000],
      ['return_temp', 'Cel', 'ahu-3', 21.9, 1_764_503_995_000],
      ['fan_speed', '%', 'ahu-3', 63, 1_764_504_000_000],
      ['filter_ok', 'Cel', 'ahu-3', 1, 1_764_504_000_000],
    ],
  );
  assert.throws(
    () => route({ name: 'x', topic: 's/#', format: 'senml' }, { payload: '{"n":"a","v":1}', topic: 's/x' }),
    /field payload: expected a SenML pack/,
  );
});

test('auto: Sample, Report and SenML as before; errors point into the payload', () => {
  const config = { name: 'legacy', topic: 'telemetry/{site}/{device}' } as const;
  const report = route(config, {
    payload: { metrics: { temp: 20 }, labels: { room: 'r1' }, timestamp: 1_764_504_000_000 },
    topic: 'telemetry/north/d-1',
  });
  assert.deepEqual(rows(report), [
    ['temp', { room: 'r1', site: 'north', device: 'd-1' }, 20, 1_764_504_000_000],
  ]);
  const sample = route(config, { payload: { name: 'temp', value: 3 }, topic: 'telemetry/north/d-1' });
  assert.equal(sample.samples[0]!.timestampMs, RECEIVED_AT, 'no timestamp: received_at');
  assert.throws(
    () => route(config, { payload: { metrics: { temp: 'warm' } }, topic: 'telemetry/north/d-1' }),
    /field payload.metrics.temp: expected a number/,
  );
});

test('identity: the topic and client id win over labels the payload sets', () => {
  const config = { name: 'legacy', topic: 'telemetry/{site}/{device}', clientIdLabel: 'client' } as const;
  const message = route(config, {
    payload: {
      metrics: { temp: 20 },
      labels: { device: 'someone-else', 'si-te': 'x', client: 'forged', room: 'r1' },
    },
    topic: 'telemetry/north/d-1',
    clientId: 'd-1',
  });
  assert.deepEqual(message.samples[0]!.labels, {
    'si-te': 'x',
    room: 'r1',
    site: 'north',
    device: 'd-1',
    client: 'd-1',
  });
  const readings = route(
    {
      name: 'r',
      topic: 'telemetry/{site}/{device}',
      format: 'readings',
      labelFields: { room: 'room' },
      labels: { fleet: 'a' },
    },
    { payload: { room: 'r2', v: 1 }, topic: 'telemetry/north/d-1' },
  );
  assert.deepEqual(readings.samples[0]!.labels, { room: 'r2', fleet: 'a', site: 'north', device: 'd-1' });
  const dashed = route(
    { name: 'r', topic: 'telemetry/{dev_id}', format: 'auto' },
    { payload: { metrics: { v: 1 }, labels: { 'dev-id': 'forged' } }, topic: 'telemetry/d-1' },
  );
  assert.deepEqual(
    dashed.samples[0]!.labels,
    { dev_id: 'd-1' },
    'a payload label that sanitises to a topic label is dropped',
  );
});

test('the envelope: fields checked, unknown routes and topics refused, other bodies decoded as before', () => {
  const decoder = new RouteDecoder(validateRoutes([FLAT_ROUTE]));
  const decode = (body: string) => decoder.decode({ messageId: 'm-9', body, sentTimestampMs: 5 });
  const envelope = JSON.parse(
    buildEnvelope({
      payload: FLAT_READINGS.text,
      topic: FLAT_READINGS.topic,
      receivedAtMs: 1,
      route: 'flat',
    }),
  ) as Record<string, unknown>;
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...envelope, route: 'nope' }, /message m-9: field route: unknown route "nope" \(known: flat\)/],
    [
      { ...envelope, topic: 'other/x/y' },
      /field topic: "other\/x\/y" does not match route flat's topic telemetry\/\{site\}\/\{device\}/,
    ],
    [{ ...envelope, topic: undefined }, /field topic: missing; route flat takes labels from the topic/],
    [{ ...envelope, payload: 'not base64!' }, /field payload: expected the base64 of the MQTT payload/],
    [{ ...envelope, payload: '' }, /field payload: the MQTT payload is empty/],
    [
      { ...envelope, payload: Buffer.from('{"a":').toString('base64') },
      /field payload: the MQTT payload is not JSON/,
    ],
    [{ ...envelope, payload: Buffer.from([0xff, 0xfe]).toString('base64') }, /not UTF-8 text/],
    [{ ...envelope, received_at: 'now' }, /field received_at: expected integer milliseconds/],
    [{ ...envelope, client_id: 7 }, /field client_id: expected a string/],
    [{ ...envelope, extra: 1 }, /field extra: unknown envelope field/],
  ];
  for (const [body, expected] of cases) assert.throws(() => decode(JSON.stringify(body)), expected);
  const base64Body = Buffer.from(JSON.stringify(envelope)).toString('base64');
  assert.equal(decode(base64Body).samples.length, 6, 'useBase64 bodies too');
  const plain = decode('{"name":"t","value":1,"labels":{"device":"d"}}');
  assert.deepEqual(plain.samples, [{ name: 't', labels: { device: 'd' }, value: 1, timestampMs: 5 }]);
});
