// One SQS batch operation (SendMessageBatch, DeleteMessageBatch, ...) over any number of items: chunked,
// each entry's outcome read from Successful/Failed, retryable failures tried again with backoff. Only
// what SQS confirmed counts as done, so a caller can act on exactly those (replay deletes only what it sent).
import type { BatchResultErrorEntry } from '@aws-sdk/client-sqs';
import { sleep } from '../rate-limiter.js';

/** SQS's limit of entries per batch request. */
export const MAX_BATCH_ENTRIES = 10;

/** The part of every SQS batch answer this reads. */
export interface BatchAnswer {
  readonly Successful?: ReadonlyArray<{ readonly Id?: string | undefined }> | undefined;
  readonly Failed?: readonly BatchResultErrorEntry[] | undefined;
}

export interface EntryFailure {
  readonly code: string;
  readonly message: string;
}

export interface BatchWithRetriesOptions<T> {
  /** Sends one request for these entries; `id` is the entry Id to put in the request. */
  readonly call: (entries: ReadonlyArray<{ readonly id: string; readonly item: T }>) => Promise<BatchAnswer>;
  /** Calls per item at most, the first included. */
  readonly attempts: number;
  /** Called once for each item given up on: a sender fault, or still failing on the last attempt. */
  readonly onFailure: (item: T, failure: EntryFailure) => void;
  /** Splits items into requests. @default chunks of MAX_BATCH_ENTRIES */
  readonly chunks?: (items: readonly T[]) => T[][];
}

const BASE_BACKOFF_MS = 200;

/** Runs the batch operation over every item; returns the items SQS confirmed. */
export async function batchWithRetries<T>(
  items: readonly T[],
  options: BatchWithRetriesOptions<T>,
): Promise<Set<T>> {
  const { attempts, onFailure } = options;
  const chunks = options.chunks ?? chunksOfTen;
  const confirmed = new Set<T>();
  let pending = [...items];
  for (let attempt = 1; attempt <= attempts && pending.length > 0; attempt += 1) {
    const lastAttempt = attempt === attempts;
    const retry: T[] = [];
    for (const chunk of chunks(pending)) {
      const byId = new Map(chunk.map((item, i) => [`e${i}`, item]));
      try {
        const answer = await options.call([...byId].map(([id, item]) => ({ id, item })));
        for (const ok of answer.Successful ?? []) {
          const item = ok.Id === undefined ? undefined : byId.get(ok.Id);
          if (item !== undefined) confirmed.add(item);
        }
        for (const failed of answer.Failed ?? []) {
          const item = failed.Id === undefined ? undefined : byId.get(failed.Id);
          if (item === undefined) continue;
          // SenderFault: the request itself is wrong (too large, bad characters); retrying cannot help.
          if (failed.SenderFault !== true && !lastAttempt) retry.push(item);
          else onFailure(item, { code: failed.Code ?? '', message: failed.Message ?? '' });
        }
        // An entry in neither list was not confirmed: treat it as not done, without retrying blindly.
      } catch (error) {
        if (!lastAttempt) retry.push(...chunk);
        else for (const item of chunk) onFailure(item, thrownFailure(error));
      }
    }
    pending = retry;
    if (pending.length > 0) await sleep(BASE_BACKOFF_MS * 2 ** (attempt - 1));
  }
  return confirmed;
}

function chunksOfTen<T>(items: readonly T[]): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += MAX_BATCH_ENTRIES) {
    chunks.push(items.slice(start, start + MAX_BATCH_ENTRIES));
  }
  return chunks;
}

function thrownFailure(error: unknown): EntryFailure {
  return error instanceof Error
    ? { code: error.name, message: error.message }
    : { code: 'Error', message: String(error) };
}
