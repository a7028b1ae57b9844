// The stack configurations the infra tests synthesise, in one place, so the function-environment test can feed
// every one of them to the function's loadConfig.

export const WORKSPACE_ARN =
  'arn:aws:aps:eu-west-1:123456789012:workspace/ws-0123abcd-1234-5678-9abc-0123456789ab';
export const SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:bridge/remote-write-token-AbCdEf';
export const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:ops-alarms';
export const PLAIN_URL = 'https://prometheus.example.internal/api/v1/write';
export const AMP_URL =
  'https://aps-workspaces.us-west-2.amazonaws.com/workspaces/ws-feed/api/v1/remote_write';

/** Every context key changed from its default. */
export const EVERY_SETTING_CHANGED: Record<string, unknown> = {
  stackName: 'ignored-here',
  workspaceAlias: 'plant-telemetry',
  workspaceRetentionDays: '400',
  outOfOrderWindowSeconds: 300,
  retainWorkspace: 'false',
  extraLabels: '{"env":"prod","region":"eu"}',
  forcedLabels: '{"tenant":"plant-7"}',
  maxSampleAge: '30m',
  maxSampleFuture: '90s',
  functionEnvironment:
    '{"REMOTE_WRITE_CONCURRENCY":"8","REMOTE_WRITE_TIMEOUT_MS":"5000","REMOTE_WRITE_HEADERS":"{\\"X-Scope-OrgID\\":\\"plant\\"}"}',
  memorySize: '1024',
  timeoutSeconds: '120',
  logRetentionDays: '90',
  logLevel: 'DEBUG',
  serviceName: 'plant-bridge',
  batchSize: '200',
  maxBatchingWindowSeconds: '20',
  maxConcurrency: '50',
  maxReceiveCount: '3',
  sourceQueueRetentionDays: '7',
  queueKms: 'true',
  topicSql: "SELECT *, topic(2) AS device FROM 'plants/+/metrics'",
  ruleName: 'plant_metrics',
  useBase64: 'true',
  alarmTopicArn: TOPIC_ARN,
  ingestLagThresholdSeconds: '600',
  remoteWriteRetriesThreshold: '10',
};

/** Each configuration by name. */
export const STACK_CONFIGURATIONS: Readonly<Record<string, Record<string, unknown>>> = {
  'the default': {},
  'an existing workspace': { existingWorkspaceArn: WORKSPACE_ARN },
  'a plain URL without auth': { remoteWriteUrl: PLAIN_URL },
  'a plain URL with bearer': {
    remoteWriteUrl: PLAIN_URL,
    remoteWriteAuth: 'bearer',
    remoteWriteSecretArn: SECRET_ARN,
  },
  'a plain URL with basic': {
    remoteWriteUrl: PLAIN_URL,
    remoteWriteAuth: 'basic',
    remoteWriteSecretArn: SECRET_ARN,
  },
  'an AMP URL alone': { remoteWriteUrl: AMP_URL },
  'SigV4 through a proxy to an existing workspace': {
    existingWorkspaceArn: WORKSPACE_ARN,
    remoteWriteUrl: 'https://amp-proxy.example.internal/workspaces/ws-1/api/v1/remote_write',
    sigv4AnyHost: 'true',
  },
  x86_64: { architecture: 'x86_64' },
  'every setting changed': EVERY_SETTING_CHANGED,
};
