// The remote-write client alone against the strict receiver on loopback.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Authenticator } from '../../functions/ingest/auth/authenticator.js';
import { createRemoteWriteClient } from '../../functions/ingest/remote-write-client.js';
import { REMOTE_WRITE_HEADERS } from '../../functions/pipeline/index.js';
import { StrictReceiver } from '../support/strict-receiver.js';

test('the attempt timeout also bounds obtaining credentials', { timeout: 30_000 }, async () => {
  const receiver = await StrictReceiver.start();
  // Stands in for a credential provider or Secrets Manager call that never answers.
  const stuck: Authenticator = { authorize: () => new Promise(() => undefined), invalidate: () => false };
  const client = createRemoteWriteClient({
    url: new URL(receiver.url),
    authenticator: stuck,
    protocolHeaders: REMOTE_WRITE_HEADERS,
    maxSockets: 1,
  });
  try {
    const result = await client.send(new Uint8Array([0]), 200);
    assert.deepEqual(result, { kind: 'timeout', timeoutMs: 200 });
    assert.equal(receiver.requests.length, 0);
  } finally {
    client.close();
    await receiver.close();
  }
});

test('an authorize() failure still reaches the caller', { timeout: 30_000 }, async () => {
  const receiver = await StrictReceiver.start();
  const failing: Authenticator = {
    authorize: () => Promise.reject(new Error('no credentials')),
    invalidate: () => false,
  };
  const client = createRemoteWriteClient({
    url: new URL(receiver.url),
    authenticator: failing,
    protocolHeaders: REMOTE_WRITE_HEADERS,
    maxSockets: 1,
  });
  try {
    await assert.rejects(client.send(new Uint8Array([0]), 5_000), /no credentials/);
  } finally {
    client.close();
    await receiver.close();
  }
});
