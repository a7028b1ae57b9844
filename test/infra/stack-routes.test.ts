// The stack with two routes from the `routes` context key: one rule each with the envelope SQL, the routes layer on
// the function, a rule role only these two rules may assume, the same code asset as without routes, and cdk-nag clean.
import { App, Stack } from 'aws-cdk-lib';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { IotPrometheusBridge } from '../../infra/iot-prometheus-bridge.js';
import { envelopeSql, type RouteProps } from '../../infra/routes.js';
import { BridgePropError, ContextError } from '../../infra/validation.js';
import {
  ingestAssetHash,
  onlyResourceId,
  ruleArn,
  STACK_NAME,
  synthBridge,
  type Synthesised,
} from './support/synth.js';

const ROUTES: RouteProps[] = [
  { name: 'flat', topic: 'telemetry/{site}/{device}', format: 'readings' },
  { name: 'pumps', topic: '$aws/things/+/shadow/update/documents', format: 'shadow' },
];

describe('a stack with two routes', () => {
  let routed: Synthesised;
  let plain: Synthesised;
  before(() => {
    routed = synthBridge({ routes: JSON.stringify(ROUTES) });
    plain = synthBridge({});
  });
  after(() => {
    for (const s of [routed, plain]) rmSync(s.outdir, { recursive: true, force: true });
  });

  test('creates one rule per route with the envelope SQL, into the source queue', () => {
    const rules = Object.values(routed.template.findResources('AWS::IoT::TopicRule')).map(
      (r) => r.Properties,
    );
    assert.deepEqual(
      rules.map((r) => [r.RuleName, r.TopicRulePayload.Sql]),
      [
        [`${STACK_NAME}_flat`, envelopeSql('flat', 'telemetry/+/+')],
        [`${STACK_NAME}_pumps`, envelopeSql('pumps', '$aws/things/+/shadow/update/documents')],
      ],
    );
    // The source queue is the one with a redrive policy.
    const sourceQueue = Object.entries(routed.template.findResources('AWS::SQS::Queue')).find(
      ([, q]) => q.Properties.RedrivePolicy,
    )![0];
    for (const rule of rules) {
      assert.equal(rule.TopicRulePayload.Actions.length, 1);
      assert.equal(rule.TopicRulePayload.Actions[0].Sqs.UseBase64, false);
      assert.deepEqual(rule.TopicRulePayload.Actions[0].Sqs.QueueUrl, { Ref: sourceQueue });
      assert.ok(rule.TopicRulePayload.ErrorAction.Sqs);
    }
    const outputs = routed.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    assert.equal(outputs.IotTopic!.Value, 'telemetry/+/+ $aws/things/+/shadow/update/documents');
    assert.equal(outputs.IotRuleName!.Value, `${STACK_NAME}_flat ${STACK_NAME}_pumps`);
  });

  test('attaches the routes layer to the function', () => {
    const layerId = onlyResourceId(routed.template, 'AWS::Lambda::LayerVersion');
    const fn = Object.values(routed.template.findResources('AWS::Lambda::Function'))[0]!.Properties;
    assert.deepEqual(fn.Layers, [{ Ref: layerId }]);
    plain.template.resourceCountIs('AWS::Lambda::LayerVersion', 0);
  });

  test("the rule role's trust policy lists both rules' ARNs", () => {
    const roles = Object.values(routed.template.findResources('AWS::IAM::Role')).filter((r) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('iot.amazonaws.com'),
    );
    assert.equal(roles.length, 1);
    const condition = roles[0]!.Properties.AssumeRolePolicyDocument.Statement[0].Condition;
    assert.deepEqual(condition.ArnEquals['aws:SourceArn'], [
      ruleArn(`${STACK_NAME}_flat`),
      ruleArn(`${STACK_NAME}_pumps`),
    ]);
    assert.deepEqual(condition.StringEquals, { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
  });

  test('keeps the code asset of the stack without routes', () => {
    assert.equal(ingestAssetHash(routed.template), ingestAssetHash(plain.template));
  });

  test('passes cdk-nag', () => {
    assert.deepEqual(routed.nagFindings, []);
  });
});

describe('routes the stack refuses', () => {
  test('routes together with topicSql, naming the prop', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    assert.throws(
      () => new IotPrometheusBridge(stack, 'B', { routes: ROUTES, topicSql: "SELECT * FROM 'x/#'" }),
      (error: unknown) => error instanceof BridgePropError && error.prop === 'topicSql',
    );
  });

  test('a route error in the context names the key, the route and the option', () => {
    assert.throws(
      () => synthBridge({ routes: '[{"name":"flat","topic":"telemetry/#/x","format":"readings"}]' }),
      (error: unknown) =>
        error instanceof ContextError &&
        error.key === 'routes' &&
        /^-c routes: route "flat": option topic: "#" must be the last level/.test(error.message),
    );
  });

  test('a route error in the construct props names the prop', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    assert.throws(
      () =>
        new IotPrometheusBridge(stack, 'B', {
          routes: [{ name: 'a', topic: 't/#', ruleName: 'has-hyphen' }],
        }),
      (error: unknown) =>
        error instanceof BridgePropError &&
        error.prop === 'routes' &&
        /route "a": option ruleName/.test(error.message),
    );
  });
});
