// What replay checks before it touches a message, on --dry-run too: a replay onto its own dead-letter queue
// loops for ever and strips the reasons each pass; a missing queue makes every send fail after the receive;
// a destination that does not use --from as its dead-letter queue is probably the wrong queue.
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { InvalidArgumentError } from 'commander';
import { DEAD_LETTER_KINDS } from '../../functions/interface/dead-letters.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { escapeUnsafe } from '../safe-text.js';
import { isMissingQueue } from '../sqs/client.js';
import { NO_KIND } from '../sqs/messages.js';

export { DEAD_LETTER_KINDS };
/** What --kind accepts: the kinds, and `none` for messages SQS moved without a reason. */
export const KIND_CHOICES: readonly string[] = [...DEAD_LETTER_KINDS, NO_KIND];

/** Parser of --kind: a comma-separated list of known kinds; repeated options accumulate. */
export function kindList(value: string, previous: string[] | undefined): string[] {
  const kinds = value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  const unknown = kinds.filter((k) => !KIND_CHOICES.includes(k));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `unknown kind ${unknown.map((k) => JSON.stringify(escapeUnsafe(k))).join(', ')}; the kinds are ${KIND_CHOICES.join(', ')}`,
    );
  }
  return [...(previous ?? []), ...kinds];
}

export interface QueueFacts {
  readonly url: string;
  readonly arn: string;
  /** The ARN of the queue's dead-letter queue, from its RedrivePolicy. */
  readonly deadLetterTargetArn: string | undefined;
  readonly visible: number;
  readonly inFlight: number;
}

function redriveTarget(policy: string | undefined): string | undefined {
  if (policy === undefined || policy === '') return undefined;
  try {
    const parsed = JSON.parse(policy) as { deadLetterTargetArn?: unknown };
    return typeof parsed.deadLetterTargetArn === 'string' ? parsed.deadLetterTargetArn : undefined;
  } catch {
    return undefined;
  }
}

/** The queue's attributes; a missing queue is an operator mistake named with its option. */
export async function describeQueue(sqs: SQSClient, url: string, option: string): Promise<QueueFacts> {
  let attributes: Record<string, string>;
  try {
    const answer = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    attributes = answer.Attributes ?? {};
  } catch (error) {
    if (isMissingQueue(error)) {
      throw new CliError(
        `the ${option} queue ${escapeUnsafe(url)} does not exist: check the URL (and --region / --endpoint-url); nothing was moved`,
        ExitCode.aws,
        { cause: error },
      );
    }
    throw error;
  }
  const arn = attributes.QueueArn;
  if (arn === undefined) throw new Error(`the queue ${url} did not report its ARN`);
  return {
    url,
    arn,
    deadLetterTargetArn: redriveTarget(attributes.RedrivePolicy),
    visible: Number(attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

function sameUrl(a: string, b: string): boolean {
  return a.trim().replace(/\/+$/, '') === b.trim().replace(/\/+$/, '');
}

export interface ReplayRoute {
  readonly from: QueueFacts;
  readonly to: QueueFacts;
}

/**
 * Checks a replay from `from` to `to` before anything moves: different queues, both existing, and (unless
 * `force`) `to`'s RedrivePolicy naming `from`. Throws a CliError saying what to do.
 */
export async function checkReplayRoute(
  sqs: SQSClient,
  route: { readonly from: string; readonly to: string; readonly force: boolean },
): Promise<ReplayRoute> {
  const sameQueue = (): CliError =>
    new CliError(
      '--from and --to name the same queue: replaying a queue onto itself never ends and strips the reasons; ' +
        "pass the dead-letter queue's source queue as --to",
      ExitCode.usage,
    );
  if (sameUrl(route.from, route.to)) throw sameQueue();
  const from = await describeQueue(sqs, route.from, '--from');
  const to = await describeQueue(sqs, route.to, '--to');
  if (from.arn === to.arn) throw sameQueue();
  if (to.deadLetterTargetArn !== from.arn && !route.force) {
    const actual =
      to.deadLetterTargetArn === undefined
        ? 'has no dead-letter queue'
        : `uses ${escapeUnsafe(to.deadLetterTargetArn)} as its dead-letter queue`;
    throw new CliError(
      `refusing to replay: the --to queue ${actual}, not --from (${escapeUnsafe(from.arn)}); ` +
        'check --to, or pass --force if this is really where the messages belong. Nothing was moved',
      ExitCode.unsafe,
    );
  }
  return { from, to };
}
