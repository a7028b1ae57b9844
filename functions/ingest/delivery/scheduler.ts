// Runs the requests of a batch concurrently up to a limit, never one before its prerequisites: the earlier
// requests that hold older samples of one of its series (Remote-Write 1.0 keeps per-series order across
// requests). A request whose prerequisite ends unsettled is not sent at all, since its newer samples would make
// the prerequisite's retry out of order.

/**
 * How a request ended: every sample written, refused for good or failed for its content (a 5xx naming it), or
 * some may succeed on a later receive.
 */
export type RequestEnd = 'settled' | 'unsettled';

type RequestState = 'waiting' | 'running' | RequestEnd;

export interface SchedulerOptions {
  readonly concurrency: number;
  /** For each request, the indexes of the requests that must be settled before it is sent. */
  readonly prerequisites: ReadonlyArray<readonly number[]>;
  /** Delivers request `index`. */
  readonly run: (index: number) => Promise<RequestEnd>;
  /** True once delivery must stop starting requests (misconfiguration); waiting requests end unsettled. */
  readonly stopped: () => boolean;
  /** Called once when `run` throws, before the other running requests are awaited and the error rethrown. */
  readonly onUnexpectedError: () => void;
}

/** Runs `count` requests; resolves with how each ended once none is running. */
export async function runInPrerequisiteOrder(
  count: number,
  options: SchedulerOptions,
): Promise<readonly RequestEnd[]> {
  const state: RequestState[] = new Array<RequestState>(count).fill('waiting');
  const running = new Set<Promise<void>>();
  const concurrency = Math.max(1, options.concurrency);
  const start = (index: number): void => {
    state[index] = 'running';
    const task: Promise<void> = options.run(index).then(
      (end) => {
        state[index] = end;
        running.delete(task);
      },
      (error: unknown) => {
        state[index] = 'unsettled';
        running.delete(task);
        throw error;
      },
    );
    running.add(task);
  };
  for (;;) {
    for (let index = 0; index < count && running.size < concurrency; index++) {
      if (state[index] !== 'waiting') continue;
      const prerequisites = options.prerequisites[index] ?? [];
      if (options.stopped() || prerequisites.some((before) => state[before] === 'unsettled')) {
        state[index] = 'unsettled';
      } else if (prerequisites.every((before) => state[before] === 'settled')) start(index);
    }
    if (running.size === 0) break;
    try {
      await Promise.race(running);
    } catch (error) {
      // A bug, not a receiver answer. The other requests stop at their next step and settle before this
      // rejects, so none keeps sending after the handler has returned the batch to the queue.
      options.onUnexpectedError();
      await Promise.allSettled(running);
      throw error;
    }
  }
  return state.map((s) => (s === 'settled' ? 'settled' : 'unsettled'));
}
