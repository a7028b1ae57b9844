// `iotprom map` for each format: its series are what the function's decoder and normaliser make of the same
// envelope, its errors are the dead-letter reasons, and device text cannot reach the terminal raw.
import { Command } from 'commander';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  LOCAL_READINGS_ROUTE,
  localReadingsBody,
  mapCommand,
  mapMessage,
  type MapResult,
} from '../../cli/commands/map.js';
import type { CommandContext } from '../../cli/context.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { SampleNormaliser } from '../../functions/pipeline/normalise.js';
import { RouteDecoder } from '../../functions/routes/decoder.js';
import type { RouteConfig } from '../../functions/routes/model.js';
import { validateRoutes } from '../../functions/routes/validate.js';
import { FLAT_READINGS, NESTED_ENERGY, SENML_PACK, SHADOW_UPDATE_DOCUMENTS } from './support/payloads.js';
import { FLEET_ROUTES, RECEIVED_AT } from './support/routes.js';

const ROUTES: RouteConfig[] = [...FLEET_ROUTES, { name: 'legacy', topic: 'legacy/{site}/#', format: 'auto' }];

const dir = mkdtempSync(join(tmpdir(), 'iotprom-map-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** What the function makes of the body map shows: decoder, then normaliser, label sets as objects. */
function functionSeries(body: string): Array<Record<string, string>> {
  const decoded = new RouteDecoder(validateRoutes(ROUTES)).decode({
    messageId: 'x',
    body,
    sentTimestampMs: 0,
  });
  const normaliser = new SampleNormaliser();
  return decoded.samples.map((s) =>
    Object.fromEntries(normaliser.seriesOf(s, 'x').labels.map((l) => [l.name, l.value])),
  );
}

function mapped(route: string, topic: string, text: string): MapResult {
  return mapMessage({
    routes: ROUTES,
    route,
    topic,
    payload: Buffer.from(text),
    clientId: 'd-0017',
    receivedAtMs: RECEIVED_AT,
  });
}

test('map shows, for each format, the series the function makes of the same envelope', () => {
  const cases: Array<[string, { topic: string; text: string }, number]> = [
    ['flat', FLAT_READINGS, 6],
    ['tasmota', NESTED_ENERGY, 16],
    ['pumps', SHADOW_UPDATE_DOCUMENTS, 4],
    ['ahu', SENML_PACK, 4],
    ['legacy', { topic: 'legacy/north/x', text: '{"metrics":{"t":1,"h":2},"labels":{"site":"forged"}}' }, 2],
  ];
  for (const [route, message, count] of cases) {
    const result = mapped(route, message.topic, message.text);
    assert.equal(result.deadLetter, undefined, route);
    assert.equal(result.series.length, count, route);
    assert.deepEqual(
      result.series.map((s) => s.labels),
      functionSeries(result.body),
      route,
    );
  }
  const flat = mapped('flat', FLAT_READINGS.topic, FLAT_READINGS.text);
  assert.deepEqual(flat.series[0], {
    labels: { __name__: 'temp', device: 'd-0017', site: 'north', thing: 'd-0017' },
    samples: [{ timestampMs: 1_764_504_000_000, value: 21.5 }],
  });
  assert.equal(
    mapped('legacy', 'legacy/north/x', '{"metrics":{"t":1},"labels":{"site":"forged"}}').series[0]!.labels
      .site,
    'north',
  );
});

test('map gives the dead-letter reason, or says the rule would not receive the topic', () => {
  const bad = mapped('flat', FLAT_READINGS.topic, '{"a":{"b":1},"a_b":2}');
  assert.equal(bad.deadLetter?.kind, 'invalid-message');
  assert.match(
    bad.deadLetter!.reason,
    /field payload.a_b: metric name a_b comes from both payload.a.b and payload.a_b/,
  );
  const outside = mapped('flat', 'other/north/d-1', FLAT_READINGS.text);
  assert.match(
    outside.notRouted ?? '',
    /does not receive topic other\/north\/d-1 \(its filter is telemetry\/\+\/\+\)/,
  );
  const none = mapMessage({
    route: 'default',
    topic: 'telemetry/x',
    payload: Buffer.from('{"name":"t","value":2}'),
    receivedAtMs: 5,
  });
  assert.deepEqual(none.series, [{ labels: { __name__: 't' }, samples: [{ timestampMs: 5, value: 2 }] }]);
  assert.throws(
    () => mapMessage({ route: 'flat', topic: 't', payload: Buffer.from('{}'), receivedAtMs: 5 }),
    /no routes are configured/,
  );
});

async function run(args: string[]): Promise<{ code: number; out: string }> {
  const context: CommandContext = { exitCode: ExitCode.ok };
  const program = new Command('iotprom').option('--json').addCommand(mapCommand(context)).exitOverride();
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => {
    out += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    process.stdout.write = write;
  }
  return { code: context.exitCode, out };
}

test('iotprom map: routes from cdk.json context, text and JSON output, exit code 4 for a dead letter', async () => {
  const cdkJson = join(dir, 'cdk.json');
  writeFileSync(cdkJson, JSON.stringify({ app: 'x', context: { routes: ROUTES } }));
  const payload = join(dir, 'flat.json');
  writeFileSync(payload, FLAT_READINGS.text);
  const common = [
    '--cdk-json',
    cdkJson,
    '--route',
    'flat',
    '--topic',
    FLAT_READINGS.topic,
    '--client-id',
    'd-0017',
  ];
  const text = await run(['map', ...common, '--payload', payload, '--received-at', '2026-11-30T12:00:00Z']);
  assert.equal(text.code, ExitCode.ok);
  assert.match(text.out, /^route flat \(readings\)\nwould write 6 samples in 6 series:\n/);
  assert.match(
    text.out,
    /\n {2}temp\{device="d-0017",site="north",thing="d-0017"\} 21\.5 2025-11-30T12:00:00\.000Z\n/,
  );
  const json = await run(['--json', 'map', ...common, '--payload', payload]);
  assert.equal((JSON.parse(json.out) as MapResult).series.length, 6);

  const routesFile = join(dir, 'routes.json');
  writeFileSync(routesFile, JSON.stringify(ROUTES));
  const badPayload = join(dir, 'bad.json');
  writeFileSync(badPayload, '{"door":"AJAR\\u001b]0;pwned\\u0007"}');
  const bad = await run(['map', '--routes', routesFile, ...common.slice(2), '--payload', badPayload]);
  assert.equal(bad.code, ExitCode.partial);
  assert.match(
    bad.out,
    /would dead-letter as invalid-message: .*no numeric values to write; ignored: payload.door/,
  );
  assert.ok(!bad.out.includes('\u001b') && !bad.out.includes('\u0007'), 'control characters are escaped');
});

test('the local readings fleet: its bodies decode under its route with the topic labels', () => {
  const body = localReadingsBody({
    site: 'north',
    id: 'd-3',
    nowMs: RECEIVED_AT,
    readings: { temperature_celsius: 21.5, door: 'OPEN' },
  });
  const decoded = new RouteDecoder(validateRoutes([LOCAL_READINGS_ROUTE])).decode({
    messageId: 'l',
    body,
    sentTimestampMs: 0,
  });
  assert.deepEqual(
    decoded.samples.map((s) => [s.name, { ...s.labels }, s.value, s.timestampMs]),
    [
      ['temperature_celsius', { site: 'north', device: 'd-3' }, 21.5, RECEIVED_AT],
      ['door', { site: 'north', device: 'd-3' }, 1, RECEIVED_AT],
    ],
  );
});
