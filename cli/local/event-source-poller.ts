// Invokes an SQS-triggered handler the way Lambda's SQS event source mapping does, against any SQS
// endpoint (fauxqs here): long-poll receives gathered into batches (batch size, batching window, 6 MB
// payload cap), SQSEvent records in Lambda's shape, a Context whose getRemainingTimeInMillis counts down from
// the function timeout, and ReportBatchItemFailures semantics. What SQS itself does (failed messages
// reappearing after the visibility timeout, maxReceiveCount moving them to the dead-letter queue) is left
// to SQS, as with Lambda.
//
// Differences from Lambda, on purpose: invocations run in this process (a handler that outlives its timeout
// is counted failed but cannot be killed), and concurrency is fixed instead of scaling with the backlog.
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { randomUUID } from 'node:crypto';

// Lambda's handler type returns `void` for handlers without partial batch responses.
export type SqsHandler = (
  event: SQSEvent,
  context: Context,
) => Promise<SQSBatchResponse | void | undefined | null>;

export interface EventSourcePollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  readonly handler: SqsHandler;
  /** Records per invocation (Lambda: 1–10 without a window, up to 10,000 with one). @default 10 */
  readonly batchSize?: number;
  /** Seconds to keep gathering records after the first arrives (Lambda's MaximumBatchingWindowInSeconds). @default 0 */
  readonly maximumBatchingWindowSeconds?: number;
  /** The function timeout: the Context's deadline, after which an invocation counts failed. @default 30 */
  readonly functionTimeoutSeconds?: number;
  /** Invocations running at once. @default 1 */
  readonly concurrency?: number;
  /** FunctionResponseTypes: ["ReportBatchItemFailures"]. @default true */
  readonly reportBatchItemFailures?: boolean;
  readonly functionName?: string;
  readonly memoryLimitInMB?: number;
  /** Longest single ReceiveMessage wait; shorter makes stop() quicker. @default 2 */
  readonly receiveWaitSeconds?: number;
  readonly onInvocation?: (result: InvocationResult) => void;
  /** Errors of the poller itself (receive/delete), not of the handler. */
  readonly onPollerError?: (error: unknown) => void;
}

export type InvocationOutcome =
  /** Resolved without batchItemFailures: every record deleted. */
  | 'success'
  /** Resolved with batchItemFailures: the others deleted. */
  | 'partial'
  /** Threw or rejected: nothing deleted. */
  | 'error'
  /** Ran past the function timeout: nothing deleted. */
  | 'timeout'
  /** A batch response Lambda would reject (unknown or empty itemIdentifier): nothing deleted. */
  | 'invalid-response';

export interface InvocationResult {
  readonly requestId: string;
  readonly outcome: InvocationOutcome;
  readonly records: number;
  /** Records deleted from the queue (confirmed by DeleteMessageBatch). */
  readonly deleted: number;
  /** Records left for SQS to redeliver after the visibility timeout. */
  readonly failed: number;
  readonly durationMs: number;
  /** SentTimestamp of the oldest record: how far behind the poller is. */
  readonly oldestSentTimestampMs: number | undefined;
  readonly error?: unknown;
}

export interface PollerStats {
  readonly invocations: number;
  readonly records: number;
  readonly deleted: number;
  readonly failed: number;
  readonly errors: number;
  /** now − SentTimestamp of the oldest record of the latest invocation. */
  readonly lastLagMs: number | undefined;
}

export interface EventSourcePoller {
  stats(): PollerStats;
  /** Stops polling, waits for the invocations in hand (and their deletes) to finish. */
  stop(): Promise<void>;
}

const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

interface MutableStats {
  invocations: number;
  records: number;
  deleted: number;
  failed: number;
  errors: number;
  lastLagMs: number | undefined;
}

/** SQS message → the record Lambda puts in an SQSEvent. */
function toRecord(m: Message, queueArn: string, region: string, account: string): SQSRecord {
  const attributes = m.Attributes ?? {};
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(m.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined
        ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }
        : {}),
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType ?? 'String',
    };
  }
  return {
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? account,
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.MessageGroupId !== undefined ? { MessageGroupId: attributes.MessageGroupId } : {}),
      ...(attributes.MessageDeduplicationId !== undefined
        ? { MessageDeduplicationId: attributes.MessageDeduplicationId }
        : {}),
      ...(attributes.SequenceNumber !== undefined ? { SequenceNumber: attributes.SequenceNumber } : {}),
    },
    messageAttributes,
    md5OfBody: m.MD5OfBody ?? '',
    ...(m.MD5OfMessageAttributes !== undefined ? { md5OfMessageAttributes: m.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** The records Lambda deletes for a response, or undefined when it treats the whole batch as failed. */
function succeededIds(
  response: SQSBatchResponse | void | undefined | null,
  ids: ReadonlySet<string>,
  reportFailures: boolean,
): Set<string> | undefined {
  if (!reportFailures || response === undefined || response === null) return new Set(ids);
  const failures = (response as Partial<SQSBatchResponse>).batchItemFailures;
  if (failures === undefined || failures === null) return new Set(ids);
  if (!Array.isArray(failures)) return undefined;
  const succeeded = new Set(ids);
  for (const failure of failures) {
    const id = (failure as Partial<{ itemIdentifier: unknown }> | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !ids.has(id)) return undefined;
    succeeded.delete(id);
  }
  return succeeded;
}

function oldestSentTimestamp(records: readonly SQSRecord[]): number | undefined {
  let oldest: number | undefined;
  for (const r of records) {
    const sent = Number(r.attributes.SentTimestamp);
    if (Number.isFinite(sent)) oldest = oldest === undefined ? sent : Math.min(oldest, sent);
  }
  return oldest;
}

/** The poller: workers that gather batches, invoke the handler and delete what succeeded. */
class LambdaLikePoller implements EventSourcePoller {
  private readonly batchSize: number;
  private readonly windowMs: number;
  private readonly timeoutMs: number;
  private readonly waitSeconds: number;
  private readonly reportFailures: boolean;
  private readonly functionName: string;
  private readonly account: string;
  private readonly controller = new AbortController();
  private readonly counters: MutableStats = {
    invocations: 0,
    records: 0,
    deleted: 0,
    failed: 0,
    errors: 0,
    lastLagMs: undefined,
  };
  private readonly workers: Array<Promise<void>>;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: EventSourcePollerOptions) {
    this.batchSize = options.batchSize ?? 10;
    this.windowMs = (options.maximumBatchingWindowSeconds ?? 0) * 1000;
    this.timeoutMs = (options.functionTimeoutSeconds ?? 30) * 1000;
    this.waitSeconds = options.receiveWaitSeconds ?? 2;
    this.reportFailures = options.reportBatchItemFailures ?? true;
    this.functionName = options.functionName ?? 'iot-prometheus-bridge-ingest';
    this.account = /^arn:aws:sqs:[^:]*:(\d+):/.exec(options.queueArn)?.[1] ?? '000000000000';
    this.workers = Array.from({ length: Math.max(1, options.concurrency ?? 1) }, () => this.worker());
  }

  stats(): PollerStats {
    return { ...this.counters };
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.controller.abort();
      await Promise.all(this.workers);
    })();
    return this.stopping;
  }

  private get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  private async worker(): Promise<void> {
    // Started from the constructor: let it finish before the first receive.
    await Promise.resolve();
    while (!this.aborted) {
      const batch = await this.gather();
      // Records received while stopping are invoked anyway: leaving them would hide them for a visibility timeout.
      if (batch.length > 0) await this.invoke(batch);
    }
  }

  private async receive(max: number, waitTimeSeconds: number): Promise<Message[]> {
    try {
      const answer = await this.options.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.options.queueUrl,
          MaxNumberOfMessages: Math.min(10, max),
          WaitTimeSeconds: waitTimeSeconds,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
        { abortSignal: this.controller.signal },
      );
      return answer.Messages ?? [];
    } catch (error) {
      if (!this.aborted) {
        this.options.onPollerError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      return [];
    }
  }

  /** One batch as Lambda gathers it: the first receive waits, the rest fill up until size, window or 6 MB. */
  private async gather(): Promise<Message[]> {
    const batch: Message[] = [];
    let bytes = 0;
    let windowEnds = Number.POSITIVE_INFINITY;
    while (!this.aborted && batch.length < this.batchSize && bytes < MAX_PAYLOAD_BYTES) {
      const remainingWindow = windowEnds - Date.now();
      if (batch.length > 0 && (this.windowMs === 0 || remainingWindow <= 0)) break;
      const wait =
        batch.length === 0 ? this.waitSeconds : Math.min(this.waitSeconds, Math.ceil(remainingWindow / 1000));
      const received = await this.receive(this.batchSize - batch.length, wait);
      for (const m of received) {
        // A window longer than the visibility timeout can bring a record back: keep one copy, with the
        // newest receipt handle (the only one SQS still accepts for the delete).
        const earlier = batch.findIndex((b) => b.MessageId === m.MessageId);
        if (earlier >= 0) batch[earlier] = m;
        else {
          batch.push(m);
          bytes += Buffer.byteLength(m.Body ?? '', 'utf8');
        }
      }
      if (batch.length > 0 && windowEnds === Number.POSITIVE_INFINITY)
        windowEnds = Date.now() + this.windowMs;
      // With a window, an empty receive only means "nothing yet"; without one, the batch is what we got.
      if (received.length === 0 && batch.length > 0 && this.windowMs === 0) break;
    }
    return batch;
  }

  private context(requestId: string, deadline: number): Context {
    const unsupported = (): never => {
      throw new Error('callback-style context methods are not supported by the local event source');
    };
    const { functionName, account } = this;
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${this.options.region}:${account}:function:${functionName}`,
      memoryLimitInMB: String(this.options.memoryLimitInMB ?? 512),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: `local/[$LATEST]${requestId.replace(/-/g, '')}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: unsupported,
      fail: unsupported,
      succeed: unsupported,
    };
  }

  private async deleteMessages(messages: readonly Message[]): Promise<number> {
    let deleted = 0;
    for (let start = 0; start < messages.length; start += 10) {
      const chunk = messages.slice(start, start + 10);
      try {
        const answer = await this.options.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: chunk.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
          }),
        );
        deleted += answer.Successful?.length ?? 0;
      } catch (error) {
        // Undeleted messages come back after the visibility timeout, as with Lambda.
        this.options.onPollerError?.(error);
      }
    }
    return deleted;
  }

  /** Runs the handler against the function timeout; what Lambda would then delete. */
  private async call(
    event: SQSEvent,
    requestId: string,
    deadline: number,
  ): Promise<{ outcome: InvocationOutcome; succeeded?: Set<string>; error?: unknown }> {
    const ids = new Set(event.Records.map((r) => r.messageId));
    let timer: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
      });
      const response = await Promise.race([
        this.options.handler(event, this.context(requestId, deadline)),
        timedOut,
      ]);
      if (response === 'timeout') return { outcome: 'timeout' };
      const succeeded = succeededIds(response, ids, this.reportFailures);
      if (succeeded === undefined) return { outcome: 'invalid-response' };
      return { outcome: succeeded.size === ids.size ? 'success' : 'partial', succeeded };
    } catch (thrown) {
      return { outcome: 'error', error: thrown };
    } finally {
      clearTimeout(timer);
    }
  }

  private async invoke(batch: Message[]): Promise<void> {
    const requestId = randomUUID();
    const started = Date.now();
    const event: SQSEvent = {
      Records: batch.map((m) => toRecord(m, this.options.queueArn, this.options.region, this.account)),
    };
    const oldest = oldestSentTimestamp(event.Records);
    const { outcome, succeeded, error } = await this.call(event, requestId, started + this.timeoutMs);
    const toDelete = succeeded === undefined ? [] : batch.filter((m) => succeeded.has(m.MessageId ?? ''));
    const deleted = await this.deleteMessages(toDelete);
    const result: InvocationResult = {
      requestId,
      outcome,
      records: batch.length,
      deleted,
      failed: batch.length - toDelete.length,
      durationMs: Date.now() - started,
      oldestSentTimestampMs: oldest,
      ...(error !== undefined ? { error } : {}),
    };
    const c = this.counters;
    c.invocations += 1;
    c.records += result.records;
    c.deleted += result.deleted;
    c.failed += result.failed;
    if (outcome === 'error' || outcome === 'timeout' || outcome === 'invalid-response') c.errors += 1;
    if (oldest !== undefined) c.lastLagMs = Math.max(0, started - oldest);
    this.options.onInvocation?.(result);
  }
}

export function startEventSourcePoller(options: EventSourcePollerOptions): EventSourcePoller {
  return new LambdaLikePoller(options);
}
