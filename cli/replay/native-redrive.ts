// SQS's own redrive (StartMessageMoveTask). Fast and server-side, but it cannot filter, gives every message
// a new id and enqueue time, and keeps the bridge-* attributes; docs/operations.md (Replay) says when to use it.
import {
  ListMessageMoveTasksCommand,
  StartMessageMoveTaskCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { isAborted } from '../abort.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { sleep } from '../rate-limiter.js';
import { isUnsupportedOperation } from '../sqs/client.js';
import { queueArn } from '../sqs/messages.js';

export interface NativeRedriveOptions {
  readonly sqs: SQSClient;
  readonly from: string;
  /** Omitted: each message returns to the queue it was dead-lettered from. */
  readonly to?: string;
  /** SQS accepts at most 500. */
  readonly ratePerSecond?: number;
  readonly pollIntervalMs?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (moved: number, toMove: number | undefined) => void;
}

export interface NativeRedriveSummary {
  readonly taskHandle: string;
  readonly status: string;
  readonly moved: number;
  readonly toMove: number | undefined;
  readonly failureReason: string | undefined;
}

export async function nativeRedrive(options: NativeRedriveOptions): Promise<NativeRedriveSummary> {
  const { sqs } = options;
  const sourceArn = await queueArn(sqs, options.from);
  const destinationArn = options.to === undefined ? undefined : await queueArn(sqs, options.to);
  let taskHandle: string;
  try {
    const started = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: sourceArn,
        DestinationArn: destinationArn,
        MaxNumberOfMessagesPerSecond:
          options.ratePerSecond === undefined
            ? undefined
            : Math.min(500, Math.max(1, Math.round(options.ratePerSecond))),
      }),
    );
    taskHandle = started.TaskHandle ?? '';
  } catch (error) {
    if (isUnsupportedOperation(error)) {
      throw new CliError(
        'this SQS endpoint does not support StartMessageMoveTask (fauxqs, used by `iotprom local`, does not): ' +
          'replay without --native',
        ExitCode.aws,
        { cause: error },
      );
    }
    throw error;
  }
  for (;;) {
    await sleep(options.pollIntervalMs ?? 2000, options.signal);
    const answer = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }));
    const task = (answer.Results ?? []).find((t) => t.TaskHandle === taskHandle) ?? answer.Results?.[0];
    const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
    const toMove = task?.ApproximateNumberOfMessagesToMove;
    options.onProgress?.(moved, toMove);
    const status = task?.Status ?? 'UNKNOWN';
    // Ctrl-C stops watching; the task itself keeps running on the SQS side (CancelMessageMoveTask stops it).
    if (status !== 'RUNNING' || isAborted(options.signal)) {
      return { taskHandle, status, moved, toMove, failureReason: task?.FailureReason };
    }
  }
}
