import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadRoutes, routesFileText, ROUTES_FILE_VARIABLE } from '../../functions/routes/load.js';
import { RouteConfigError, validateRoutes } from '../../functions/routes/validate.js';

const base = { name: 'flat', topic: 'telemetry/{site}/{device}', format: 'readings' };

test('defaults of a route', () => {
  const [route] = validateRoutes([{ name: 'r', topic: 'telemetry/#' }]);
  assert.equal(route!.format, 'auto');
  assert.equal(route!.metricPrefix, '');
  assert.equal(route!.timestampUnit, 'ms');
  assert.deepEqual(route!.labels, {});
  assert.equal(route!.clientIdLabel, undefined);
  assert.deepEqual([...route!.reservedLabels], []);
});

test('every error names the route and the option', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{}, /^routes: expected an array/],
    [[], /^routes: is empty/],
    [[{ ...base, name: 'a-b' }], /^routes\[0\]: option name: expected 1 to 64 letters/],
    [[{ ...base, topic: 'a/#/b' }], /^route "flat": option topic: "#" must be the last level/],
    [[{ ...base, topic: undefined }], /^route "flat": option topic: required/],
    [
      [{ ...base, format: 'csv' }],
      /^route "flat": option format: expected one of auto, readings, shadow, senml/,
    ],
    [[{ ...base, valueMap: { ON: 'yes' } }], /^route "flat": option valueMap.ON: expected a finite number/],
    [
      [{ ...base, timestampUnit: 'h', timestampField: 'ts' }],
      /^route "flat": option timestampUnit: expected one of/,
    ],
    [[{ ...base, timestampUnit: 's' }], /^route "flat": option timestampUnit: needs timestampField/],
    [[{ ...base, include: ['a.b*'] }], /^route "flat": option include\[0\]: pattern "a.b\*"/],
    [[{ ...base, exclude: ['a..b'] }], /^route "flat": option exclude\[0\]: path "a..b" has an empty level/],
    [
      [{ ...base, labels: { site: 'x' } }],
      /^route "flat": option labels.site: label site is also set by topic \{site\}/,
    ],
    [
      [{ ...base, clientIdLabel: 'device' }],
      /^route "flat": option clientIdLabel: label device is also set by topic/,
    ],
    [
      [{ ...base, labelFields: ['device'] }],
      /^route "flat": option labelFields \(device\): label device is set by/,
    ],
    [[{ ...base, metricPrefix: '9x' }], /^route "flat": option metricPrefix/],
    [[{ ...base, colour: 1 }], /^route "flat": option colour: unknown option/],
    [
      [{ ...base, format: 'senml', valueMap: {} }],
      /^route "flat": option valueMap: does not apply to format senml/,
    ],
    [[{ ...base, format: 'shadow' }], /^route "flat": option topic: a shadow route reads \$aws\/things/],
    [[base, base], /^route "flat": option name: is used by two routes/],
  ];
  for (const [raw, expected] of cases) {
    assert.throws(
      () => validateRoutes(raw),
      (error: unknown) => {
        assert.ok(error instanceof RouteConfigError, String(error));
        assert.match(error.message, expected);
        return true;
      },
    );
  }
});

test('labelFields: a list names labels by the path joined with _, an object names them itself', () => {
  const [listed] = validateRoutes([{ ...base, labelFields: ['meta.fw'] }]);
  assert.deepEqual(listed!.labelFields, [{ label: 'meta_fw', path: ['meta', 'fw'] }]);
  const [named] = validateRoutes([{ ...base, labelFields: { firmware: 'meta.fw' } }]);
  assert.deepEqual(named!.labelFields, [{ label: 'firmware', path: ['meta', 'fw'] }]);
});

test('routes.json: read at cold start, validated again, absent means the default route', () => {
  const dir = mkdtempSync(join(tmpdir(), 'routes-'));
  try {
    const file = join(dir, 'routes.json');
    assert.equal(loadRoutes({}), undefined, 'no layer: the default route');
    writeFileSync(file, routesFileText([{ ...base, format: 'readings', ruleName: 'x', sql: 'SELECT 1' }]));
    const routes = loadRoutes({ [ROUTES_FILE_VARIABLE]: file });
    assert.equal(routes?.[0]?.name, 'flat');
    assert.equal(routes?.[0]?.config.sql, undefined, 'stack-only options stay out of routes.json');
    writeFileSync(file, JSON.stringify({ version: 1, routes: [{ ...base, valueMap: { ON: 'x' } }] }));
    assert.throws(
      () => loadRoutes({ [ROUTES_FILE_VARIABLE]: file }),
      /^Error: routes file .*routes.json: route "flat": option valueMap.ON: expected a finite number/,
    );
    writeFileSync(file, JSON.stringify({ version: 2, routes: [] }));
    assert.throws(() => loadRoutes({ [ROUTES_FILE_VARIABLE]: file }), /version 2 is not 1/);
    assert.throws(() => loadRoutes({ [ROUTES_FILE_VARIABLE]: join(dir, 'missing.json') }), /cannot be read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
