import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ampRegion, ConfigError, loadConfig, pipelineConfigFrom } from '../../functions/ingest/config.js';

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

test('the variables the stack adds: receive count, sample window, forced labels, samples per message', () => {
  const defaults = loadConfig({ REMOTE_WRITE_URL: AMP });
  assert.equal(defaults.maxReceiveCount, undefined);
  assert.equal(defaults.maxSampleAgeMs, 3_600_000);
  assert.equal(defaults.maxSampleFutureMs, 600_000);
  assert.deepEqual(defaults.forcedLabels, {});
  assert.equal(defaults.maxSamplesPerMessage, undefined);
  const pipelineDefaults = pipelineConfigFrom(defaults);
  assert.deepEqual(pipelineDefaults.sampleWindow, { maxAgeMs: 3_600_000, maxFutureMs: 600_000 });
  assert.equal(pipelineDefaults.limits.maxSamplesPerMessage, 10_000);

  const config = loadConfig({
    REMOTE_WRITE_URL: AMP,
    MAX_RECEIVE_COUNT: '3',
    MAX_SAMPLE_AGE: '1h30m',
    MAX_SAMPLE_FUTURE: '90s',
    FORCED_LABELS: '{"tenant":"t-1"}',
    MAX_SAMPLES_PER_MESSAGE: '500',
  });
  assert.equal(config.maxReceiveCount, 3);
  const pipeline = pipelineConfigFrom(config);
  assert.deepEqual(pipeline.sampleWindow, { maxAgeMs: 5_400_000, maxFutureMs: 90_000 });
  assert.deepEqual(pipeline.forcedLabels, { tenant: 't-1' });
  assert.equal(pipeline.limits.maxSamplesPerMessage, 500);

  rejects({ REMOTE_WRITE_URL: AMP, MAX_RECEIVE_COUNT: '0' }, 'MAX_RECEIVE_COUNT', /from 1/);
  rejects({ REMOTE_WRITE_URL: AMP, MAX_SAMPLE_AGE: '1 hour' }, 'MAX_SAMPLE_AGE', /duration such as/);
  rejects({ REMOTE_WRITE_URL: AMP, MAX_SAMPLE_AGE: '0' }, 'MAX_SAMPLE_AGE', /at least 1s/);
  rejects({ REMOTE_WRITE_URL: AMP, MAX_SAMPLE_FUTURE: '10m1h' }, 'MAX_SAMPLE_FUTURE', /duration/);
  rejects({ REMOTE_WRITE_URL: AMP, FORCED_LABELS: '{"__name__":"x"}' }, 'FORCED_LABELS', /reserved/);
  rejects({ REMOTE_WRITE_URL: AMP, MAX_SAMPLES_PER_MESSAGE: '0' }, 'MAX_SAMPLES_PER_MESSAGE', /from 1/);
});

test('the receiver checks of the stack, at cold start', () => {
  // Credentials in the URL are refused without repeating them.
  assert.throws(
    () => loadConfig({ REMOTE_WRITE_URL: 'https://user:hunter2@rw.example/w' }),
    (error: unknown) => error instanceof ConfigError && !error.message.includes('hunter2'),
  );
  const secret = { REMOTE_WRITE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:x' };
  for (const auth of ['bearer', 'basic']) {
    rejects(
      { REMOTE_WRITE_URL: 'http://rw.example/w', REMOTE_WRITE_AUTH: auth, ...secret },
      'REMOTE_WRITE_URL',
      new RegExp(`must be https with auth ${auth}`),
    );
  }
  rejects(
    { REMOTE_WRITE_URL: AMP.replace('https:', 'http:') },
    'REMOTE_WRITE_URL',
    /must be https with auth sigv4/,
  );
  rejects(
    { REMOTE_WRITE_URL: 'https://proxy.example/w', REMOTE_WRITE_AUTH: 'sigv4', AWS_REGION: 'eu-west-1' },
    'REMOTE_WRITE_URL',
    /not an AMP host.*REMOTE_WRITE_SIGV4_ANY_HOST=true/,
  );
  const proxied = loadConfig({
    REMOTE_WRITE_URL: 'https://proxy.example/w',
    REMOTE_WRITE_AUTH: 'sigv4',
    REMOTE_WRITE_SIGV4_ANY_HOST: 'true',
    AWS_REGION: 'eu-west-1',
  });
  assert.equal(proxied.sigv4Region, 'eu-west-1');
  // Loopback receivers (local runs, tests) may take credentials over plain http.
  assert.equal(
    loadConfig({ REMOTE_WRITE_URL: 'http://127.0.0.1:9090/w', REMOTE_WRITE_AUTH: 'bearer', ...secret }).auth,
    'bearer',
  );
  rejects(
    { REMOTE_WRITE_URL: AMP, REMOTE_WRITE_SIGV4_ANY_HOST: 'yes please' },
    'REMOTE_WRITE_SIGV4_ANY_HOST',
    /true or false/,
  );
});

test('custom headers: no x-amz- or proxy- name, no hop-by-hop header, visible ASCII values only', () => {
  for (const [headers, reason] of [
    ['{"X-Amz-Target":"x"}', /no x-amz-\* header/],
    ['{"x-amz-anything":"x"}', /no x-amz-\* header/],
    ['{"Proxy-Foo":"x"}', /no proxy-\* header/],
    ['{"Expect":"100-continue"}', /reserved/],
    ['{"Upgrade":"h2c"}', /reserved/],
    ['{"TE":"trailers"}', /reserved/],
    ['{"Trailer":"x"}', /reserved/],
    ['{"Keep-Alive":"x"}', /reserved/],
    ['{"Connection":"close"}', /reserved/],
    ['{"Host":"other"}', /reserved/],
    ['{"Content-Length":"1"}', /reserved/],
    ['{"Transfer-Encoding":"chunked"}', /reserved/],
    ['{"X-Tenant":"a\\u0000b"}', /visible ASCII/],
    ['{"X-Tenant":"a\\tb"}', /visible ASCII/],
    ['{"X-Tenant":"caf\\u00e9"}', /visible ASCII/],
    ['{"X-Tenant":"\\u202eevil"}', /visible ASCII/],
  ] as const) {
    rejects({ REMOTE_WRITE_URL: AMP, REMOTE_WRITE_HEADERS: headers }, 'REMOTE_WRITE_HEADERS', reason);
  }
  assert.deepEqual(
    loadConfig({ REMOTE_WRITE_URL: AMP, REMOTE_WRITE_HEADERS: '{"X-Scope-OrgID":"tenant 1"}' }).customHeaders,
    { 'X-Scope-OrgID': 'tenant 1' },
  );
});
