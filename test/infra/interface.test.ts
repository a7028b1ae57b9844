// The interface module's parsers: Prometheus-style durations and AMP URLs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseAmpUrl, parseDuration } from '../../functions/interface/index.js';

test('durations read as Prometheus reads them, and format back', () => {
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('10m'), 600_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1d2h'), 93_600_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('0'), 0);
  for (const bad of ['', '1', '1 h', '30m1h', '1.5h', '-1m', 'h'])
    assert.equal(parseDuration(bad), undefined, bad);
  for (const text of ['1h', '10m', '1h30m', '90s', '1d', '250ms', '0']) {
    assert.equal(formatDuration(parseDuration(text)!), text === '90s' ? '1m30s' : text);
  }
});

test('AMP URLs: https only, region and workspace id; other hosts are not AMP', () => {
  assert.deepEqual(
    parseAmpUrl('https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write'),
    { region: 'eu-west-1', workspaceId: 'ws-1' },
  );
  assert.deepEqual(
    parseAmpUrl('https://aps-workspaces.cn-north-1.amazonaws.com.cn/workspaces/ws-2/api/v1/remote_write'),
    {
      region: 'cn-north-1',
      workspaceId: 'ws-2',
    },
  );
  assert.equal(
    parseAmpUrl('http://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write'),
    undefined,
  );
  assert.equal(
    parseAmpUrl('https://aps-workspaces.eu-west-1.amazonaws.com.evil.example/workspaces/ws-1/x'),
    undefined,
  );
  assert.equal(parseAmpUrl('not a url'), undefined);
});
