// The CDK app of the package test.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The example stack of docs/deploy.md ("Use it in your CDK app"): the defaults, an arm64 function. */
export const DOCS_EXAMPLE = `import { App, Stack } from 'aws-cdk-lib';
import { IotPrometheusBridge } from 'iot-prometheus-bridge';

const app = new App();
const stack = new Stack(app, 'Telemetry', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
new IotPrometheusBridge(stack, 'Bridge');
app.synth();
`;

/** The test app: the docs' example, then a second stack writing to an existing workspace from x86_64. */
export const EXAMPLE_APP = `${DOCS_EXAMPLE.replace('app.synth();\n', '')}
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import type { IotPrometheusBridgeProps } from 'iot-prometheus-bridge';

const existing: IotPrometheusBridgeProps = {
  existingWorkspaceArn: 'arn:aws:aps:eu-west-1:123456789012:workspace/ws-0123456789abcdef',
  architecture: Architecture.X86_64,
};
new IotPrometheusBridge(new Stack(app, 'ExistingWorkspaceX86'), 'Bridge', existing);
app.synth();
`;

/** Every file under a folder, relative to it, sorted. */
export function treeFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}
