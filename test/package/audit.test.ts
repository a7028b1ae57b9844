// CI's dependency audit step (scripts/audit.mjs): how it reads `npm audit --json`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auditVerdict } from '../../scripts/audit.mjs';

const report = (vulnerabilities: Record<string, { name: string; severity: string; range: string }>) =>
  JSON.stringify({
    auditReportVersion: 2,
    vulnerabilities,
    metadata: { vulnerabilities: { total: Object.keys(vulnerabilities).length } },
  });

test('fails on a high or critical advisory, naming the package', () => {
  const verdict = auditVerdict(
    report({
      cookie: { name: 'cookie', severity: 'low', range: '<0.7.0' },
      fastify: { name: 'fastify', severity: 'high', range: '<5.3.2' },
    }),
  );
  assert.equal(verdict.ok, false);
  assert.match(verdict.message, /fastify \(high, <5\.3\.2\)/);
  assert.doesNotMatch(verdict.message, /cookie/);
});

test('passes a report with advisories of lower severity only', () => {
  assert.equal(
    auditVerdict(report({ cookie: { name: 'cookie', severity: 'moderate', range: '*' } })).ok,
    true,
  );
});

test('tolerates a registry that does not answer audit requests, with a note', () => {
  const refused = JSON.stringify({
    message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
    statusCode: 405,
    error: { summary: '', detail: '' },
  });
  for (const output of [refused, '', 'npm error network ETIMEDOUT']) {
    const verdict = auditVerdict(output);
    assert.equal(verdict.ok, true);
    assert.match(verdict.message, /did not answer the audit request/);
  }
});
