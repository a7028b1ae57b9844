// The routes construct on a tiny stack: one rule per route with the envelope SQL, the default route exactly as the
// bridge's rule was, the routes layer, and synth-time errors naming the route and the option.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_TOPIC_SQL } from '../../infra/iot-prometheus-bridge.js';
import {
  DEFAULT_ROUTE_SQL,
  envelopeSql,
  routeRuleSpecs,
  routesFromContext,
  RouteRules,
  RoutesLayer,
  type RouteProps,
} from '../../infra/routes.js';
import { parseRoutesFile } from '../../functions/routes/load.js';

function stackWith(routes: readonly RouteProps[] | undefined, extra: { layer?: boolean } = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'RoutesTest');
  const queue = new Queue(stack, 'Source');
  const errorQueue = new Queue(stack, 'Errors');
  const role = new Role(stack, 'RuleRole', { assumedBy: new ServicePrincipal('iot.amazonaws.com') });
  const rules = new RouteRules(stack, 'Routes', { routes, baseRuleName: 'bridge', queue, role, errorQueue });
  const layer = extra.layer && routes ? new RoutesLayer(stack, 'RoutesLayer', { routes }) : undefined;
  return { template: Template.fromStack(stack), rules, layer, app };
}

const ROUTES: RouteProps[] = [
  {
    name: 'flat',
    topic: 'telemetry/{site}/{device}',
    format: 'readings',
    timestampField: 'ts',
    timestampUnit: 's',
  },
  { name: 'pumps', topic: '$aws/things/+/shadow/update/documents', format: 'shadow' },
  { name: 'ahu', topic: 'sensors/{device}/senml', format: 'senml', ruleName: 'ahu_ingest' },
  { name: 'legacy', topic: 'old/#', sql: "SELECT *, topic(2) AS device FROM 'old/#'" },
];

test('the default route is the bridge rule as it was: same SQL, same name', () => {
  assert.equal(DEFAULT_ROUTE_SQL, DEFAULT_TOPIC_SQL);
  const { template } = stackWith(undefined);
  template.resourceCountIs('AWS::IoT::TopicRule', 1);
  template.hasResourceProperties('AWS::IoT::TopicRule', {
    RuleName: 'bridge',
    TopicRulePayload: {
      Sql: "SELECT * FROM 'telemetry/#'",
      AwsIotSqlVersion: '2016-03-23',
      Actions: [{ Sqs: { UseBase64: false, QueueUrl: Match.anyValue(), RoleArn: Match.anyValue() } }],
    },
  });
  assert.deepEqual(routeRuleSpecs(undefined, 'bridge', "SELECT * FROM 'x/#'")[0]?.topicFilter, 'x/#');
});

test('one rule per route, each with the envelope SQL of its filter and name', () => {
  const { template } = stackWith(ROUTES);
  template.resourceCountIs('AWS::IoT::TopicRule', 4);
  const expected: Array<[string, string]> = [
    [
      'bridge_flat',
      "SELECT encode(*, 'base64') AS payload, topic() AS topic, clientid() AS client_id, timestamp() AS received_at, 'flat' AS route FROM 'telemetry/+/+'",
    ],
    [
      'bridge_pumps',
      "SELECT encode(*, 'base64') AS payload, topic() AS topic, clientid() AS client_id, timestamp() AS received_at, 'pumps' AS route FROM '$aws/things/+/shadow/update/documents'",
    ],
    [
      'ahu_ingest',
      "SELECT encode(*, 'base64') AS payload, topic() AS topic, clientid() AS client_id, timestamp() AS received_at, 'ahu' AS route FROM 'sensors/+/senml'",
    ],
    ['bridge_legacy', "SELECT *, topic(2) AS device FROM 'old/#'"],
  ];
  for (const [ruleName, sql] of expected) {
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      RuleName: ruleName,
      TopicRulePayload: {
        Sql: sql,
        AwsIotSqlVersion: '2016-03-23',
        RuleDisabled: false,
        Actions: [{ Sqs: { UseBase64: false, QueueUrl: Match.anyValue(), RoleArn: Match.anyValue() } }],
        ErrorAction: { Sqs: Match.objectLike({ UseBase64: false }) },
      },
    });
  }
  assert.equal(envelopeSql('flat', 'telemetry/+/+'), expected[0]![1]);
});

test('the routes layer holds iot-prometheus-bridge/routes.json, which the function accepts', () => {
  const { template, layer } = stackWith(ROUTES, { layer: true });
  template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
  assert.ok(layer);
  const routes = parseRoutesFile(layer.fileText, 'layer');
  assert.deepEqual(
    routes.map((r) => r.name),
    ['flat', 'pumps', 'ahu', 'legacy'],
  );
  assert.ok(!layer.fileText.includes('SELECT'), 'the SQL stays in the stack');
  const tmp = tmpdir();
  const file = readFileSync(
    join(
      tmp,
      `iot-prometheus-bridge-routes-${hashOf(layer.fileText)}`,
      'iot-prometheus-bridge',
      'routes.json',
    ),
    'utf8',
  );
  assert.equal(file, layer.fileText);
});

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

test('synth-time errors name the route and the option', () => {
  const cases: Array<[unknown, RegExp]> = [
    [
      [{ name: 'flat', topic: 'telemetry/#/x', format: 'readings' }],
      /route "flat": option topic: "#" must be the last level/,
    ],
    [
      [{ name: 'flat', topic: 't/#', format: 'readings', valueMap: { ON: 'on' } }],
      /route "flat": option valueMap.ON/,
    ],
    [
      [{ name: 'flat', topic: 't/#', ruleName: 'has-hyphen' }],
      /route "flat": option ruleName: allows only letters/,
    ],
    [[{ name: 'flat', topic: 't/#', sql: 'DROP' }], /route "flat": option sql: expected an IoT SQL SELECT/],
    [
      [
        { name: 'a', topic: 't/#', ruleName: 'same' },
        { name: 'b', topic: 'u/#', ruleName: 'same' },
      ],
      /route "b": option ruleName: rule name same is also route "a"'s/,
    ],
    [[], /routes: is empty/],
  ];
  for (const [routes, expected] of cases) {
    assert.throws(() => stackWith(routes as RouteProps[]), expected);
  }
});

test('the routes context key: a JSON array in cdk.json or its text from -c', () => {
  assert.equal(routesFromContext(undefined), undefined);
  const text = JSON.stringify([ROUTES[0]]);
  assert.deepEqual(routesFromContext(text), [ROUTES[0]]);
  assert.deepEqual(routesFromContext([ROUTES[0]]), [ROUTES[0]]);
  assert.throws(() => routesFromContext('[{'), /context routes must be a JSON array of routes/);
  assert.throws(
    () => routesFromContext([{ name: 'x', topic: 't/#', format: 'xml' }]),
    /^Error: context route "x": option format: expected one of/,
  );
});
