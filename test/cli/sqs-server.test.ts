import { ListQueuesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { test } from 'node:test';
import { startSqsServer } from '../../cli/local/sqs-server.js';

test('the in-process SQS server moves a message to its dead-letter queue after maxReceiveCount', async () => {
  const server = await startSqsServer();
  try {
    assert.match(server.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    const pair = await server.createQueuePair('telemetry', {
      maxReceiveCount: 1,
      visibilityTimeoutSeconds: 1,
    });
    const port = new URL(server.endpoint).port;
    assert.equal(pair.queueUrl, `http://sqs.us-east-1.localhost:${port}/000000000000/telemetry`);
    assert.equal(
      pair.deadLetterQueueUrl,
      `http://sqs.us-east-1.localhost:${port}/000000000000/telemetry-dlq`,
    );
    assert.equal(pair.queueArn, 'arn:aws:sqs:us-east-1:000000000000:telemetry');
    assert.equal(pair.deadLetterQueueArn, 'arn:aws:sqs:us-east-1:000000000000:telemetry-dlq');
    const sqs = server.client();
    await sqs.send(new SendMessageCommand({ QueueUrl: pair.queueUrl, MessageBody: '{"x":1}' }));
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: pair.queueUrl, WaitTimeSeconds: 1 }));
    assert.equal(first.Messages?.length, 1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: pair.queueUrl, WaitTimeSeconds: 1 }));
    const dead = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: pair.deadLetterQueueUrl, WaitTimeSeconds: 1 }),
    );
    assert.equal(dead.Messages?.[0]?.Body, '{"x":1}');
  } finally {
    await server.stop();
  }
});

/** Local addresses (kernel hex form) of this process's listening TCP sockets on `port`, from /proc. */
function ownListeningAddresses(port: number): string[] {
  const ownInodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (match?.[1] !== undefined) ownInodes.add(match[1]);
    } catch {
      // The fd closed between readdir and readlink.
    }
  }
  const addresses: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [address, portHex] = (fields[1] ?? '').split(':');
      const listening = fields[3] === '0A';
      if (
        listening &&
        portHex !== undefined &&
        parseInt(portHex, 16) === port &&
        ownInodes.has(fields[9] ?? '')
      ) {
        addresses.push(address ?? '');
      }
    }
  }
  return addresses;
}

test('the SQS server listens on 127.0.0.1 only, never on a network-facing address', async () => {
  const server = await startSqsServer();
  try {
    assert.equal(server.listenAddress.address, '127.0.0.1');
    assert.equal(server.listenAddress.family, 'IPv4');
    assert.equal(server.endpoint, `http://127.0.0.1:${server.listenAddress.port}`);
    // It answers there (loopback traffic only).
    const listed = await server.client().send(new ListQueuesCommand({}));
    assert.equal(listed.$metadata.httpStatusCode, 200);
    // The kernel's own view, independent of what the listener object says: every listening socket this
    // process holds on the port is bound to 127.0.0.1 (0100007F), none to 0.0.0.0 or ::.
    if (existsSync('/proc/self/fd') && existsSync('/proc/net/tcp')) {
      assert.deepEqual(ownListeningAddresses(server.listenAddress.port), ['0100007F']);
    }
  } finally {
    await server.stop();
  }
});
