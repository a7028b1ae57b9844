// Receiving, releasing and describing SQS messages the way replay and inspect need them.
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SourceMessage } from '../../functions/pipeline/model.js';
import { isAborted } from '../abort.js';

/** Message attributes the bridge adds when it dead-letters a message (docs/operations.md). */
export const BRIDGE_ATTRIBUTE_PREFIX = 'bridge-';
export const ERROR_KIND_ATTRIBUTE = 'bridge-error-kind';
export const ERROR_REASON_ATTRIBUTE = 'bridge-error';
/** Kind reported for messages without `bridge-error-kind`: SQS moved them after maxReceiveCount receives. */
export const NO_KIND = 'none';

export interface ReceiveOptions {
  readonly max: number;
  readonly visibilityTimeoutSeconds: number;
  readonly waitTimeSeconds: number;
}

/**
 * One receive; undefined when the signal cut it short (Ctrl-C ends a long poll at once, and the scan
 * it belongs to stops there). Other errors are thrown.
 */
export async function receiveBatch(
  sqs: SQSClient,
  queueUrl: string,
  options: ReceiveOptions,
  signal?: AbortSignal,
): Promise<Message[] | undefined> {
  try {
    const answer = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.max(1, Math.min(10, options.max)),
        VisibilityTimeout: options.visibilityTimeoutSeconds,
        WaitTimeSeconds: options.waitTimeSeconds,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
      signal !== undefined ? { abortSignal: signal } : {},
    );
    return answer.Messages ?? [];
  } catch (error) {
    if (isAborted(signal)) return undefined;
    throw error;
  }
}

/**
 * Makes messages visible again at once. A handle that is no longer valid (message deleted, or its
 * visibility already expired) needs no release, so per-entry failures are returned, not thrown.
 */
export async function releaseMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly Message[],
): Promise<number> {
  let failed = 0;
  for (let start = 0; start < messages.length; start += 10) {
    const chunk = messages.slice(start, start + 10).filter((m) => m.ReceiptHandle !== undefined);
    if (chunk.length === 0) continue;
    const answer = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((m, i) => ({ Id: `r${i}`, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
      }),
    );
    failed += answer.Failed?.length ?? 0;
  }
  return failed;
}

export function stringAttribute(message: Message, name: string): string | undefined {
  return message.MessageAttributes?.[name]?.StringValue;
}

export function errorKind(message: Message): string {
  return stringAttribute(message, ERROR_KIND_ATTRIBUTE) ?? NO_KIND;
}

export function errorReason(message: Message): string {
  return stringAttribute(message, ERROR_REASON_ATTRIBUTE) ?? '';
}

/** The message's own attributes: everything except what the bridge added when it dead-lettered it. */
export function ownAttributes(message: Message): Record<string, MessageAttributeValue> | undefined {
  const own: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (!name.startsWith(BRIDGE_ATTRIBUTE_PREFIX)) own[name] = value;
  }
  return Object.keys(own).length > 0 ? own : undefined;
}

export function sentTimestampMs(message: Message): number | undefined {
  const raw = message.Attributes?.SentTimestamp;
  const value = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

export function toSourceMessage(message: Message, nowMs: number): SourceMessage {
  return {
    messageId: message.MessageId ?? '',
    body: message.Body ?? '',
    sentTimestampMs: sentTimestampMs(message) ?? nowMs,
  };
}

/** Bytes SQS counts for a message: body plus each attribute's name, type and value. */
export function messageSize(
  body: string,
  attributes: Record<string, MessageAttributeValue> | undefined,
): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes ?? {})) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType ?? '', 'utf8');
    if (value.StringValue !== undefined) size += Buffer.byteLength(value.StringValue, 'utf8');
    if (value.BinaryValue !== undefined) size += value.BinaryValue.byteLength;
  }
  return size;
}

/** ApproximateNumberOfMessages (visible) and ...NotVisible (in flight), or undefined if unavailable. */
export async function queueDepth(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number } | undefined> {
  try {
    const answer = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(answer.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(answer.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  } catch {
    return undefined;
  }
}

export async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const answer = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = answer.Attributes?.QueueArn;
  if (arn === undefined) throw new Error(`the queue ${queueUrl} did not report its ARN`);
  return arn;
}
