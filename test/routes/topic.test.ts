import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchTopic, parseTopicPattern, shadowTopicParts } from '../../functions/routes/topic.js';

test('a template gives the rule filter and its labels', () => {
  const pattern = parseTopicPattern('telemetry/{site}/{device}/#');
  assert.equal(pattern.filter, 'telemetry/+/+/#');
  assert.deepEqual(pattern.labels, ['site', 'device']);
  assert.deepEqual(matchTopic(pattern, 'telemetry/north/d-17'), { site: 'north', device: 'd-17' });
  assert.deepEqual(matchTopic(pattern, 'telemetry/north/d-17/a/b'), { site: 'north', device: 'd-17' });
  assert.equal(matchTopic(pattern, 'telemetry/north'), undefined);
  assert.equal(matchTopic(pattern, 'other/north/d-17'), undefined);
});

test('+ matches exactly one level, # also none, literals exactly', () => {
  const plus = parseTopicPattern('a/+/c');
  assert.deepEqual(matchTopic(plus, 'a/b/c'), {});
  assert.equal(matchTopic(plus, 'a/b/c/d'), undefined);
  assert.equal(matchTopic(plus, 'a/c'), undefined);
  assert.deepEqual(matchTopic(parseTopicPattern('a/#'), 'a'), {});
  assert.deepEqual(matchTopic(parseTopicPattern('#'), 'x/y'), {});
});

test('a Basic Ingest prefix is ignored unless the pattern names it', () => {
  const pattern = parseTopicPattern('telemetry/{site}/{device}');
  assert.deepEqual(matchTopic(pattern, '$aws/rules/bridge_flat/telemetry/north/d-1'), {
    site: 'north',
    device: 'd-1',
  });
  const explicit = parseTopicPattern('$aws/rules/bridge_flat/{device}');
  assert.deepEqual(matchTopic(explicit, '$aws/rules/bridge_flat/d-1'), { device: 'd-1' });
});

test('invalid patterns say what is wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['a/#/b', /"#" must be the last level/],
    ['a/b+/c', /whole level/],
    ['a/{9x}', /not a valid label name/],
    ['a/{__x}', /reserved/],
    ['a/{x}/{x}', /appears twice/],
    ["a/'b", /single quote/],
    ['1/2/3/4/5/6/7/8/9', /9 levels/],
    [`a/${'x'.repeat(300)}`, /256 bytes/],
  ];
  for (const [text, expected] of cases) assert.throws(() => parseTopicPattern(text), expected, text);
});

test('shadow topics give the thing and the named shadow', () => {
  assert.deepEqual(shadowTopicParts('$aws/things/pump-7/shadow/update/documents'), { thing: 'pump-7' });
  assert.deepEqual(shadowTopicParts('$aws/things/pump-7/shadow/name/cfg/update/documents'), {
    thing: 'pump-7',
    shadow: 'cfg',
  });
  assert.equal(shadowTopicParts('telemetry/x'), undefined);
});
