// The CDK app of the package test, and the environment its commands run in.
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A user's app: the docs' example stack (defaults) and an existing workspace on x86_64. */
export const EXAMPLE_STACK = `import { App, Stack } from 'aws-cdk-lib';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { IotPrometheusBridge, type IotPrometheusBridgeProps } from 'iot-prometheus-bridge';

const app = new App();
new IotPrometheusBridge(new Stack(app, 'Defaults'), 'Telemetry');

const existing: IotPrometheusBridgeProps = {
  existingWorkspaceArn: 'arn:aws:aps:eu-west-1:123456789012:workspace/ws-0123456789abcdef',
  architecture: Architecture.X86_64,
};
new IotPrometheusBridge(new Stack(app, 'ExistingWorkspaceX86'), 'Telemetry', existing);
app.synth();
`;

/**
 * This environment without AWS credentials, region or CDK settings, and without the npm_* variables of the npm
 * script running the tests (a nested npm would take the project's settings, e.g. its prefix, from them).
 */
export function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(AWS_|CDK_|npm_)/i.test(key)) env[key] = value;
  }
  return {
    ...env,
    AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), 'iotprom-no-credentials'),
    AWS_CONFIG_FILE: join(tmpdir(), 'iotprom-no-config'),
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_CLI_TELEMETRY: '1',
    CDK_DISABLE_VERSION_CHECK: '1',
  };
}

/** Every file under a folder, relative to it, sorted. */
export function treeFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}
