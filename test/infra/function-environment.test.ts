// The stack and the function share one interface: the environment every stack configuration synthesises is
// accepted by the function's own loadConfig, and reads back as the settings the stack was given.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { loadConfig } from '../../functions/ingest/config.js';
import { STACK_CONFIGURATIONS } from './support/configurations.js';
import { synthBridge } from './support/synth.js';

const REGION = 'eu-west-1';
const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/bridge-dlq';

/** What CloudFormation would put in place of the intrinsics the function's variables use. */
function deployed(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(deployed).join(separator);
  }
  if ('Ref' in node) {
    const id = node.Ref as string;
    if (id === 'AWS::URLSuffix') return 'amazonaws.com';
    if (id === 'AWS::Region') return REGION;
    if (/DeadLetterQueue/.test(id)) return DLQ_URL;
    throw new Error(`no deployed value for Ref ${id}`);
  }
  if ('Fn::GetAtt' in node) {
    const [, attribute] = node['Fn::GetAtt'] as [string, string];
    if (attribute === 'PrometheusEndpoint') {
      return `https://aps-workspaces.${REGION}.amazonaws.com/workspaces/ws-created/api/v1/`;
    }
    throw new Error(`no deployed value for GetAtt ${attribute}`);
  }
  throw new Error(`no deployed value for ${JSON.stringify(value)}`);
}

for (const [name, context] of Object.entries(STACK_CONFIGURATIONS)) {
  test(`${name}: the function loads the environment the stack gives it`, () => {
    const synth = synthBridge(context);
    try {
      const fn = Object.values(synth.template.findResources('AWS::Lambda::Function'))[0]!;
      const variables = fn.Properties.Environment.Variables as Record<string, unknown>;
      const env = Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, deployed(value)]));
      // Lambda sets the region; the function falls back to it for SigV4 to a host that is not AMP.
      const config = loadConfig({ ...env, AWS_REGION: REGION });
      assert.equal(config.remoteWriteUrl.href, new URL(env.REMOTE_WRITE_URL!).href);
      assert.equal(config.auth, env.REMOTE_WRITE_AUTH);
      assert.equal(config.deadLetterQueueUrl, DLQ_URL);
      assert.equal(config.maxReceiveCount, Number(context.maxReceiveCount ?? 5));
      assert.equal(config.maxSampleAgeMs, context.maxSampleAge === '30m' ? 1_800_000 : 3_600_000);
      assert.equal(config.maxSampleFutureMs, context.maxSampleFuture === '90s' ? 90_000 : 600_000);
      assert.deepEqual(config.extraLabels, JSON.parse((context.extraLabels as string | undefined) ?? '{}'));
      assert.deepEqual(config.forcedLabels, JSON.parse((context.forcedLabels as string | undefined) ?? '{}'));
    } finally {
      rmSync(synth.outdir, { recursive: true, force: true });
    }
  });
}
