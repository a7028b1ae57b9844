// Summarises a queue without consuming it: every received message is made visible again at once, and the
// scan tells messages it has already seen by id.
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { isAborted } from '../abort.js';
import { DEFAULT_MAX_SAMPLE_AGE_MS } from '../replay/sample-age.js';
import {
  errorKind,
  errorReason,
  queueDepth,
  receiveBatch,
  releaseMessages,
  sentTimestampMs,
} from '../sqs/messages.js';

export interface InspectOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Most distinct messages to look at. @default 1000 */
  readonly max?: number;
  /** Example bodies to show. @default 3 */
  readonly examples?: number;
  /** Characters of each example body. @default 300 */
  readonly exampleChars?: number;
  /** Visibility timeout of each receive, the upper bound on how long a message is hidden if inspect dies. @default 20 */
  readonly visibilityTimeoutSeconds?: number;
  readonly waitTimeSeconds?: number;
  /** Consecutive receives without a new message before the queue counts as scanned. @default 3 */
  readonly idleReceives?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (scanned: number) => void;
  readonly nowMs?: () => number;
}

export interface AgeBucket {
  readonly label: string;
  readonly upToMs: number;
  readonly count: number;
}

export interface InspectSummary {
  readonly queueUrl: string;
  /** What SQS reported before the scan (approximate). */
  readonly approximateVisible: number | undefined;
  readonly approximateInFlight: number | undefined;
  readonly scanned: number;
  /** True when the scan stopped at `max` rather than at the end of the queue. */
  readonly truncated: boolean;
  readonly byKind: ReadonlyArray<{ readonly kind: string; readonly count: number }>;
  readonly byReason: ReadonlyArray<{
    readonly kind: string;
    readonly reason: string;
    readonly count: number;
  }>;
  readonly ages: readonly AgeBucket[];
  readonly oldestAgeMs: number | undefined;
  readonly newestAgeMs: number | undefined;
  /** Messages sent more than an hour ago: AMP would discard their samples if they were replayed. */
  readonly olderThanOneHour: number;
  readonly examples: ReadonlyArray<{
    readonly messageId: string;
    readonly kind: string;
    readonly reason: string;
    readonly ageMs: number | undefined;
    readonly body: string;
    readonly attributes: Readonly<Record<string, string>>;
  }>;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const BUCKETS: ReadonlyArray<readonly [string, number]> = [
  ['< 1 min', MINUTE],
  ['1-5 min', 5 * MINUTE],
  ['5-15 min', 15 * MINUTE],
  ['15-60 min', HOUR],
  ['1-6 h', 6 * HOUR],
  ['6-24 h', DAY],
  ['1-3 d', 3 * DAY],
  ['3-7 d', 7 * DAY],
  ['> 7 d', Number.POSITIVE_INFINITY],
];

/**
 * The reason without the message id the bridge puts in front (`message <id>: field x: ...`), so that
 * messages failing the same way group together.
 */
export function reasonGroup(reason: string): string {
  const withoutId = reason.replace(/^message \S+: /, '');
  return withoutId.length > 200 ? `${withoutId.slice(0, 199)}…` : withoutId;
}

export async function inspectQueue(options: InspectOptions): Promise<InspectSummary> {
  const { sqs, queueUrl } = options;
  const max = options.max ?? 1000;
  const exampleCount = options.examples ?? 3;
  const exampleChars = options.exampleChars ?? 300;
  const idleReceives = options.idleReceives ?? 3;
  const now = options.nowMs ?? Date.now;
  const depth = await queueDepth(sqs, queueUrl);
  const seen = new Set<string>();
  const kinds = new Map<string, number>();
  const reasons = new Map<string, { kind: string; reason: string; count: number }>();
  const bucketCounts = BUCKETS.map(() => 0);
  const examples: Array<InspectSummary['examples'][number]> = [];
  let oldest: number | undefined;
  let newest: number | undefined;
  let olderThanOneHour = 0;
  let idle = 0;

  const account = (m: Message): void => {
    const kind = errorKind(m);
    const reason = reasonGroup(errorReason(m));
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    const key = `${kind}\u0000${reason}`;
    const group = reasons.get(key) ?? { kind, reason, count: 0 };
    group.count += 1;
    reasons.set(key, group);
    const sent = sentTimestampMs(m);
    const ageMs = sent === undefined ? undefined : Math.max(0, now() - sent);
    if (ageMs !== undefined) {
      bucketCounts[BUCKETS.findIndex(([, upTo]) => ageMs < upTo)] += 1;
      oldest = oldest === undefined ? ageMs : Math.max(oldest, ageMs);
      newest = newest === undefined ? ageMs : Math.min(newest, ageMs);
      if (ageMs > DEFAULT_MAX_SAMPLE_AGE_MS) olderThanOneHour += 1;
    }
    if (examples.length < exampleCount) {
      const body = m.Body ?? '';
      const attributes: Record<string, string> = {};
      for (const [name, value] of Object.entries(m.MessageAttributes ?? {})) {
        attributes[name] = value.StringValue ?? `(${value.DataType ?? 'binary'})`;
      }
      examples.push({
        messageId: m.MessageId ?? '',
        kind,
        reason: errorReason(m),
        ageMs,
        body: body.length > exampleChars ? `${body.slice(0, exampleChars)}… (${body.length} chars)` : body,
        attributes,
      });
    }
  };

  while (seen.size < max && !isAborted(options.signal)) {
    const received = await receiveBatch(
      sqs,
      queueUrl,
      {
        max: 10,
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 20,
        waitTimeSeconds: options.waitTimeSeconds ?? 1,
      },
      options.signal,
    );
    if (received === undefined) break;
    // Back at once: inspecting must not delay the bridge nor hide messages from a replay.
    if (received.length > 0) await releaseMessages(sqs, queueUrl, received);
    let fresh = 0;
    for (const m of received) {
      const id = m.MessageId;
      if (id === undefined || seen.has(id) || seen.size >= max) continue;
      seen.add(id);
      fresh += 1;
      account(m);
    }
    if (fresh === 0) {
      idle += 1;
      if (idle >= idleReceives) break;
    } else {
      idle = 0;
      options.onProgress?.(seen.size);
    }
  }

  return {
    queueUrl,
    approximateVisible: depth?.visible,
    approximateInFlight: depth?.inFlight,
    scanned: seen.size,
    truncated: seen.size >= max,
    byKind: [...kinds].map(([kind, count]) => ({ kind, count })).sort((a, b) => b.count - a.count),
    byReason: [...reasons.values()].sort((a, b) => b.count - a.count),
    ages: BUCKETS.map(([label, upToMs], i) => ({ label, upToMs, count: bucketCounts[i] ?? 0 })),
    oldestAgeMs: oldest,
    newestAgeMs: newest,
    olderThanOneHour,
    examples,
  };
}
