import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ampRegion, ConfigError, loadConfig } from '../../functions/ingest/config.js';

const AMP = 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write';

function rejects(env: Record<string, string>, variable: string, pattern: RegExp): void {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.variable === variable &&
      error.message.includes(variable) &&
      pattern.test(error.message),
  );
}

test('an AMP URL defaults to SigV4 with the region from the host, other URLs to no auth', () => {
  const amp = loadConfig({ REMOTE_WRITE_URL: AMP });
  assert.equal(amp.auth, 'sigv4');
  assert.equal(amp.sigv4Region, 'eu-west-1');
  const prom = loadConfig({ REMOTE_WRITE_URL: 'http://127.0.0.1:9090/api/v1/write' });
  assert.equal(prom.auth, 'none');
  assert.deepEqual(prom.extraLabels, {});
  assert.equal(prom.deadLetterQueueUrl, undefined);
  assert.equal(ampRegion('aps-workspaces.us-east-2.api.aws'), 'us-east-2');
  assert.equal(ampRegion('example.com'), undefined);
});

test('every setting is read and validated', () => {
  const config = loadConfig({
    REMOTE_WRITE_URL: 'https://rw.example/api/v1/write',
    REMOTE_WRITE_AUTH: 'bearer',
    REMOTE_WRITE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
    DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/dlq',
    EXTRA_LABELS: '{"env":"prod"}',
    REMOTE_WRITE_HEADERS: '{"X-Scope-OrgID":"tenant-1"}',
    REMOTE_WRITE_TIMEOUT_MS: '2500',
    REMOTE_WRITE_MAX_SAMPLES_PER_REQUEST: '100',
    REMOTE_WRITE_CONCURRENCY: '2',
    RETRY_BASE_DELAY_MS: '10',
    RETRY_MAX_DELAY_MS: '20',
    DEADLINE_SAFETY_MARGIN_MS: '0',
    MAX_LABELS_PER_SERIES: '30',
  });
  assert.equal(config.auth, 'bearer');
  assert.deepEqual(config.extraLabels, { env: 'prod' });
  assert.deepEqual(config.customHeaders, { 'X-Scope-OrgID': 'tenant-1' });
  assert.equal(config.timeoutMs, 2500);
  assert.equal(config.maxSamplesPerRequest, 100);
  assert.equal(config.maxBytesPerRequest, undefined);
  assert.equal(config.concurrency, 2);
  assert.equal(config.deadlineSafetyMarginMs, 0);
  assert.equal(config.maxLabelsPerSeries, 30);
});

test('configuration errors name the variable', () => {
  rejects({}, 'REMOTE_WRITE_URL', /required/);
  rejects({ REMOTE_WRITE_URL: 'ftp://x/y' }, 'REMOTE_WRITE_URL', /http or https/);
  rejects({ REMOTE_WRITE_URL: 'not a url' }, 'REMOTE_WRITE_URL', /not a URL/);
  rejects({ REMOTE_WRITE_URL: 'http://u:p@h/x' }, 'REMOTE_WRITE_URL', /credentials/);
  rejects(
    { REMOTE_WRITE_URL: AMP, REMOTE_WRITE_AUTH: 'token' },
    'REMOTE_WRITE_AUTH',
    /sigv4, none, bearer, basic/,
  );
  rejects({ REMOTE_WRITE_URL: AMP, REMOTE_WRITE_AUTH: 'basic' }, 'REMOTE_WRITE_SECRET_ARN', /required/);
  rejects({ REMOTE_WRITE_URL: 'https://h/x', REMOTE_WRITE_AUTH: 'sigv4' }, 'REMOTE_WRITE_URL', /AWS_REGION/);
  rejects({ REMOTE_WRITE_URL: AMP, EXTRA_LABELS: '{"a":1}' }, 'EXTRA_LABELS', /string/);
  rejects({ REMOTE_WRITE_URL: AMP, EXTRA_LABELS: '[1]' }, 'EXTRA_LABELS', /object/);
  rejects({ REMOTE_WRITE_URL: AMP, EXTRA_LABELS: '{' }, 'EXTRA_LABELS', /JSON/);
  // Names and limits are checked at cold start too, not first when a batch is planned.
  rejects(
    { REMOTE_WRITE_URL: AMP, EXTRA_LABELS: '{"bad-name":"x"}' },
    'EXTRA_LABELS',
    /not a valid label name/,
  );
  rejects({ REMOTE_WRITE_URL: AMP, EXTRA_LABELS: '{"__tenant":"x"}' }, 'EXTRA_LABELS', /reserved/);
  rejects(
    { REMOTE_WRITE_URL: AMP, EXTRA_LABELS: '{"env":"ééé"}', MAX_LABEL_VALUE_LENGTH: '5' },
    'EXTRA_LABELS',
    /too long/,
  );
  rejects(
    { REMOTE_WRITE_URL: AMP, REMOTE_WRITE_HEADERS: '{"Content-Type":"x"}' },
    'REMOTE_WRITE_HEADERS',
    /reserved/,
  );
  rejects(
    { REMOTE_WRITE_URL: AMP, REMOTE_WRITE_HEADERS: '{"authorization":"x"}' },
    'REMOTE_WRITE_HEADERS',
    /reserved/,
  );
  rejects(
    { REMOTE_WRITE_URL: AMP, REMOTE_WRITE_HEADERS: '{"X-Amz-Date":"x"}' },
    'REMOTE_WRITE_HEADERS',
    /reserved/,
  );
  rejects(
    { REMOTE_WRITE_URL: AMP, REMOTE_WRITE_TIMEOUT_MS: 'soon' },
    'REMOTE_WRITE_TIMEOUT_MS',
    /whole number/,
  );
  rejects({ REMOTE_WRITE_URL: AMP, REMOTE_WRITE_CONCURRENCY: '0' }, 'REMOTE_WRITE_CONCURRENCY', /from 1/);
  rejects(
    { REMOTE_WRITE_URL: AMP, RETRY_BASE_DELAY_MS: '50', RETRY_MAX_DELAY_MS: '10' },
    'RETRY_MAX_DELAY_MS',
    /below/,
  );
  rejects(
    { REMOTE_WRITE_URL: AMP, DEAD_LETTER_QUEUE_URL: 'queue' },
    'DEAD_LETTER_QUEUE_URL',
    /not a queue URL/,
  );
});
