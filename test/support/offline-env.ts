// The environment for commands a test runs that could reach AWS (cdk synth, npm in a temporary CDK app).
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * This environment without AWS credentials, region or CDK settings, and without the npm_* variables of the npm
 * script running the tests (a nested npm or npx would take the project's settings, e.g. its prefix, from them).
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
    // No instance metadata service lookups (169.254.169.254) for region or credentials.
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_CLI_TELEMETRY: '1',
    CDK_DISABLE_VERSION_CHECK: '1',
  };
}
