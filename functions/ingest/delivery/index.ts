// Sends a planned batch to the receiver and says, per message, whether all its samples were written. Three
// parts: the scheduler (requests in prerequisite order, a few at a time), the request delivery (sendWithRetry,
// bisection, resend resolution, last-chance isolation) and the message ledger. See docs/architecture/delivery.md.
import type { WriteBatch } from '../../pipeline/model.js';
import { BatchDelivery } from './request-delivery.js';
import { runInPrerequisiteOrder } from './scheduler.js';
import type { DeliveryOptions, DeliveryResult } from './types.js';

export { ALREADY_STORED_REFUSAL, describeAttempt } from './request-delivery.js';
export { MessageLedger, NOT_SENT_REASON } from './ledger.js';
export { runInPrerequisiteOrder, type RequestEnd, type SchedulerOptions } from './scheduler.js';
export { MIN_ATTEMPT_MS, RecoverableError, sendWithRetry } from './send-with-retry.js';
export type { GaveUp, RetryClock, RetryOptions } from './send-with-retry.js';
export type * from './types.js';

/**
 * @param prerequisites for each batch, the earlier batches holding older samples of one of its series: it is
 *   sent only once they are settled
 */
export async function deliver(
  batches: readonly WriteBatch[],
  prerequisites: ReadonlyArray<readonly number[]>,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  const delivery = new BatchDelivery(batches, options);
  await runInPrerequisiteOrder(batches.length, {
    concurrency: options.concurrency,
    prerequisites,
    run: (index) => delivery.deliverRequest(batches[index]!),
    stopped: () => delivery.abortedBecause !== undefined,
    onUnexpectedError: () => delivery.abort('stopped after an unexpected error', true),
  });
  return delivery.result();
}
