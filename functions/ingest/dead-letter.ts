// Moves messages that can never succeed to DEAD_LETTER_QUEUE_URL with their original body and attributes
// plus the reason (docs/formats.md, failure semantics). A message only counts as handled once SQS confirmed its copy;
// everything else is reported back so the handler returns it as a batch item failure.
import {
  SendMessageBatchCommand,
  type MessageAttributeValue,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSMessageAttributes, SQSRecord } from 'aws-lambda';

import { BRIDGE_ATTRIBUTES, type DeadLetterKind } from '../interface/dead-letters.js';

export { BRIDGE_ATTRIBUTES, DEAD_LETTER_KINDS, type DeadLetterKind } from '../interface/dead-letters.js';

export interface DeadLetter {
  readonly record: SQSRecord;
  readonly kind: DeadLetterKind;
  readonly reason: string;
}

export interface DeadLetterResult {
  /** Message ids SQS confirmed. */
  readonly sent: string[];
  /** Message ids not confirmed, with why. */
  readonly failed: Array<{ readonly messageId: string; readonly error: string }>;
}

/** SQS allows 10 message attributes; the bridge needs three of them. */
export const MAX_MESSAGE_ATTRIBUTES = 10;
/** Longest `bridge-error`, in UTF-8 bytes. */
export const MAX_REASON_BYTES = 1024;
/** SendMessageBatch limits: 10 entries and (conservatively, the pre-2025 limit) 256 KiB of payload per call. */
const MAX_ENTRIES_PER_CALL = 10;
const MAX_BYTES_PER_CALL = 256 * 1024;

/** Cut a string to at most `maxBytes` UTF-8 bytes without splitting a character, marking the cut. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const marker = '…';
  let budget = maxBytes - Buffer.byteLength(marker, 'utf8');
  let out = '';
  for (const char of text) {
    const size = Buffer.byteLength(char, 'utf8');
    if (size > budget) break;
    out += char;
    budget -= size;
  }
  return out + marker;
}

/**
 * Lambda's attribute shape (camelCase, binary as base64) in the SDK's shape. Attributes beyond what fits next
 * to the bridge's three are dropped, in name order so the choice is stable, and named in the result.
 */
export function convertAttributes(attributes: SQSMessageAttributes | undefined): {
  kept: Record<string, MessageAttributeValue>;
  dropped: string[];
} {
  const kept: Record<string, MessageAttributeValue> = {};
  const dropped: string[] = [];
  const room = MAX_MESSAGE_ATTRIBUTES - BRIDGE_ATTRIBUTES.length;
  const names = Object.keys(attributes ?? {})
    .filter((name) => !(BRIDGE_ATTRIBUTES as readonly string[]).includes(name))
    .sort();
  for (const name of names) {
    const attribute = attributes?.[name];
    if (attribute === undefined) continue;
    if (Object.keys(kept).length >= room) {
      dropped.push(name);
      continue;
    }
    const value: MessageAttributeValue = { DataType: attribute.dataType };
    if (attribute.stringValue !== undefined && attribute.stringValue !== null) {
      value.StringValue = attribute.stringValue;
    } else if (attribute.binaryValue !== undefined && attribute.binaryValue !== null) {
      value.BinaryValue = Buffer.from(attribute.binaryValue, 'base64');
    } else {
      dropped.push(name);
      continue;
    }
    kept[name] = value;
  }
  return { kept, dropped };
}

export function deadLetterEntry(letter: DeadLetter, id: string): SendMessageBatchRequestEntry {
  const { kept, dropped } = convertAttributes(letter.record.messageAttributes);
  const note =
    dropped.length === 0 ? '' : ` [attributes dropped to fit SQS's limit of 10: ${dropped.join(', ')}]`;
  const reason = truncateUtf8(letter.reason, MAX_REASON_BYTES - Buffer.byteLength(note, 'utf8')) + note;
  return {
    Id: id,
    MessageBody: letter.record.body,
    MessageAttributes: {
      ...kept,
      'bridge-error-kind': { DataType: 'String', StringValue: letter.kind },
      'bridge-error': { DataType: 'String', StringValue: truncateUtf8(reason, MAX_REASON_BYTES) },
      'bridge-source-message-id': { DataType: 'String', StringValue: letter.record.messageId },
    },
  };
}

function entrySize(entry: SendMessageBatchRequestEntry): number {
  let size = Buffer.byteLength(entry.MessageBody ?? '', 'utf8');
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType ?? '', 'utf8');
    size += value.StringValue !== undefined ? Buffer.byteLength(value.StringValue, 'utf8') : 0;
    size += value.BinaryValue !== undefined ? value.BinaryValue.byteLength : 0;
  }
  return size;
}

export interface DeadLetterSendOptions {
  /** Epoch ms by which every SendMessageBatch call must have answered; later ones are aborted and failed. */
  readonly deadlineMs?: number;
}

/** Where the handler sends messages that can never succeed. */
export interface DeadLetterSender {
  send(letters: readonly DeadLetter[], options?: DeadLetterSendOptions): Promise<DeadLetterResult>;
}

export class DeadLetterQueue implements DeadLetterSender {
  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
  ) {}

  async send(letters: readonly DeadLetter[], options: DeadLetterSendOptions = {}): Promise<DeadLetterResult> {
    const fifo = this.queueUrl.endsWith('.fifo');
    const entries = letters.map((letter, index) => {
      const entry = deadLetterEntry(letter, `m${index}`);
      // A FIFO dead-letter queue needs a group; the source id makes a redelivered copy a no-op duplicate.
      if (fifo) {
        entry.MessageGroupId = 'bridge-dead-letter';
        entry.MessageDeduplicationId = letter.record.messageId.slice(0, 128);
      }
      return entry;
    });
    // Each entry travels with the message id it stands for, so an answer can only name messages of the batch.
    type Pending = { readonly entry: SendMessageBatchRequestEntry; readonly messageId: string };
    const calls: Pending[][] = [];
    let current: Pending[] = [];
    let currentBytes = 0;
    entries.forEach((entry, index) => {
      const size = entrySize(entry);
      if (
        current.length > 0 &&
        (current.length === MAX_ENTRIES_PER_CALL || currentBytes + size > MAX_BYTES_PER_CALL)
      ) {
        calls.push(current);
        current = [];
        currentBytes = 0;
      }
      current.push({ entry, messageId: letters[index]?.record.messageId ?? '' });
      currentBytes += size;
    });
    if (current.length > 0) calls.push(current);

    const sent: string[] = [];
    const failed: Array<{ messageId: string; error: string }> = [];
    const { deadlineMs } = options;
    const budgetMs = deadlineMs === undefined ? undefined : deadlineMs - Date.now();
    if (budgetMs !== undefined && budgetMs <= 0) {
      const error = 'no time left before the Lambda deadline to dead-letter';
      return { sent, failed: letters.map((letter) => ({ messageId: letter.record.messageId, error })) };
    }
    // A hung SQS endpoint must not hold the invocation past its deadline: whatever is unconfirmed by then
    // returns to the source queue as a batch item failure instead.
    const signal = budgetMs === undefined ? undefined : AbortSignal.timeout(budgetMs);
    await Promise.all(
      calls.map(async (call) => {
        try {
          const result = await this.sqs.send(
            new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: call.map((p) => p.entry) }),
            signal === undefined ? {} : { abortSignal: signal },
          );
          const confirmed = new Set<string>();
          for (const ok of result.Successful ?? []) {
            if (ok.Id !== undefined) confirmed.add(ok.Id);
          }
          const refused = new Map<string, string>();
          for (const failure of result.Failed ?? []) {
            if (failure.Id !== undefined) {
              refused.set(failure.Id, `${failure.Code ?? 'error'}: ${failure.Message ?? 'no message'}`);
            }
          }
          // Only entries SQS confirmed and did not also list as failed count as sent; a contradictory answer
          // costs at most a second dead letter, never a lost message.
          for (const { entry, messageId } of call) {
            const id = entry.Id ?? '';
            const error = refused.get(id);
            if (error !== undefined) failed.push({ messageId, error });
            else if (confirmed.has(id)) sent.push(messageId);
            else failed.push({ messageId, error: 'not confirmed by SendMessageBatch' });
          }
        } catch (error) {
          const cause = `${(error as Error).name}: ${(error as Error).message}`;
          const text = signal?.aborted === true ? `no answer before the Lambda deadline (${cause})` : cause;
          for (const { messageId } of call) failed.push({ messageId, error: text });
        }
      }),
    );
    return { sent, failed };
  }
}
