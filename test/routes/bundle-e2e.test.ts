// Every format end to end: envelopes built as each route's rule builds them, through the BUILT bundle with a
// routes file, into the real Prometheus 2.42, exact values read back.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildEnvelope } from '../../functions/routes/envelope.js';
import { routesFileText, ROUTES_FILE_VARIABLE } from '../../functions/routes/load.js';
import type { RouteConfig } from '../../functions/routes/model.js';
import { lambdaContext, loadBundle, sqsEvent, sqsRecord } from '../ingest/harness.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { FLAT_READINGS, NESTED_ENERGY, SENML_PACK, SHADOW_UPDATE_DOCUMENTS } from './support/payloads.js';
import { FLEET_ROUTES } from './support/routes.js';

const ROUTES: RouteConfig[] = [...FLEET_ROUTES, { name: 'legacy', topic: 'legacy/{site}/{device}' }];

let prometheus: PrometheusServer;
const dir = mkdtempSync(join(tmpdir(), 'iotprom-routes-e2e-'));
before(async () => {
  prometheus = await startPrometheus();
});
after(async () => {
  await prometheus?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('every route format through the built bundle into Prometheus', { timeout: 120_000 }, async () => {
  const routesFile = join(dir, 'routes.json');
  writeFileSync(routesFile, routesFileText(ROUTES));
  const handler = await loadBundle({
    REMOTE_WRITE_URL: prometheus.remoteWriteUrl,
    [ROUTES_FILE_VARIABLE]: routesFile,
  });
  // The fleets' payloads carry 2025-11-30T12:00:00Z; moved to a few minutes ago, which Prometheus accepts.
  const base = Math.floor((Date.now() - 4 * 60_000) / 1000);
  const shift = (text: string) =>
    text
      .replaceAll('1764504000', String(base))
      .replaceAll('1764503900', String(base - 100))
      .replace('1.7645040e9', String(base));
  const envelope = (route: string, topic: string, payload: string, clientId = 'd-0017') =>
    sqsRecord(buildEnvelope({ payload, topic, clientId, receivedAtMs: base * 1000 + 1000, route }));
  const records = [
    envelope('flat', FLAT_READINGS.topic, shift(FLAT_READINGS.text)),
    envelope('tasmota', NESTED_ENERGY.topic, NESTED_ENERGY.text),
    envelope('pumps', SHADOW_UPDATE_DOCUMENTS.topic, shift(SHADOW_UPDATE_DOCUMENTS.text)),
    envelope('ahu', SENML_PACK.topic, shift(SENML_PACK.text)),
    envelope('legacy', 'legacy/north/d-9', '{"metrics":{"legacy_t":7},"labels":{"device":"someone-else"}}'),
    sqsRecord(JSON.stringify({ name: 'plain_t', value: 3, timestamp: base * 1000, labels: { device: 'p' } })),
  ];
  const response = await handler(sqsEvent(records), lambdaContext());
  assert.deepEqual(response, { batchItemFailures: [] });

  const at = async (selector: string, ms: number) =>
    (await prometheus.rawSamples(selector, ms - 1, ms + 1)).map((s) =>
      s.samples.map((x) => [x.timestampMs, x.value]),
    );
  const t = base * 1000;
  assert.deepEqual(await at('temp{site="north",device="d-0017",thing="d-0017"}', t), [[[t, 21.5]]]);
  assert.deepEqual(await at('door{device="d-0017"}', t), [[[t, 0]]]);
  assert.deepEqual(await at('tasmota_ENERGY_Power_1{device="plug-42"}', t + 1000), [[[t + 1000, 118]]]);
  assert.deepEqual(await at('running{thing="pump-7"}', t - 100_000), [[[t - 100_000, 1]]]);
  assert.deepEqual(await at('pressure_outlet_kpa{thing="pump-7"}', t), [[[t, 305.2]]]);
  assert.deepEqual(await at('return_temp{device="ahu-3",unit="Cel"}', t - 5000), [[[t - 5000, 21.9]]]);
  assert.deepEqual(
    await at('legacy_t{device="d-9",site="north"}', t + 1000),
    [[[t + 1000, 7]]],
    'the topic wins',
  );
  assert.deepEqual(await at('plain_t{device="p"}', t), [[[t, 3]]]);
});
