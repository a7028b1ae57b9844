// The CDK app of cdk.json: one BridgeStack, configured by context keys (see infra/bridge-stack.ts, docs/deploy.md).
// Environment-agnostic unless the CLI found credentials: synth needs no AWS account and does no lookups.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BridgeStack } from './bridge-stack.js';
import { ContextError } from './validation.js';

function main(): void {
  const app = new App();
  const stackName = (app.node.tryGetContext('stackName') as string | undefined) || 'IotPrometheusBridge';
  new BridgeStack(app, stackName, {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  // Every synth is checked: a finding that is not acknowledged with a reason stops it.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
}

try {
  main();
} catch (error) {
  // A context mistake is the operator's, not a bug: one line naming the key, no stack trace.
  if (!(error instanceof ContextError)) throw error;
  console.error(`error: ${error.message}`);
  // Exit now: CDK would otherwise synthesise the half-built app when the process is about to exit.
  process.exit(1);
}
