// Summarises a queue without consuming it: every received message is made visible again at once, and the
// scan tells messages it has already seen by id. Everything taken from a message is escaped and cut
// (safe-text.ts) here, so the text and the --json output are both safe to print.
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { isAborted } from '../abort.js';
import { describeQueue } from '../replay/preflight.js';
import { DEFAULT_MAX_SAMPLE_AGE_MS } from '../replay/sample-age.js';
import { ATTRIBUTE_VALUE_CHARS, BODY_CHARS, NAME_CHARS, REASON_CHARS, safeText } from '../safe-text.js';
import { errorKind, errorReason, receiveBatch, releaseMessages, sentTimestampMs } from '../sqs/messages.js';
import { readableBody, type BodyEncoding } from './body.js';

export interface InspectOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Most distinct messages to look at. @default 1000 */
  readonly max?: number;
  /** Reasons to show an example message for (one each, most frequent reasons first). @default 5 */
  readonly examples?: number;
  /** Characters of each example body. @default BODY_CHARS (300) */
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

export interface InspectExample {
  readonly messageId: string;
  readonly kind: string;
  readonly reason: string;
  readonly ageMs: number | undefined;
  /** Decoded when the message carries base64 (`bodyEncoding`), escaped and cut. */
  readonly body: string;
  readonly bodyEncoding: BodyEncoding;
  /** The message's own attributes and the bridge-* ones, escaped and cut. */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface ReasonGroup {
  readonly kind: string;
  readonly reason: string;
  readonly count: number;
  /** Age of the oldest message with this reason. */
  readonly oldestAgeMs: number | undefined;
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
  /** Most frequent first. */
  readonly byReason: readonly ReasonGroup[];
  readonly ages: readonly AgeBucket[];
  readonly oldestAgeMs: number | undefined;
  readonly newestAgeMs: number | undefined;
  /** Messages sent more than an hour ago: AMP would discard their samples if they were replayed. */
  readonly olderThanOneHour: number;
  /** One message per reason, in the order of byReason, at most `examples`. */
  readonly examples: readonly InspectExample[];
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
 * messages failing the same way group together; escaped and cut to REASON_CHARS.
 */
export function reasonGroup(reason: string): string {
  return safeText(reason.replace(/^message \S+: /, ''), REASON_CHARS);
}

interface Group {
  kind: string;
  reason: string;
  count: number;
  oldestAgeMs: number | undefined;
  example: Message;
}

function oldestOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

/** What the scan has found so far; `account` adds one message. */
class InspectTally {
  readonly seen = new Set<string>();
  private readonly kinds = new Map<string, number>();
  private readonly groups = new Map<string, Group>();
  private readonly bucketCounts = BUCKETS.map(() => 0);
  private oldest: number | undefined;
  private newest: number | undefined;
  private olderThanOneHour = 0;

  constructor(private readonly now: () => number) {}

  account(m: Message): void {
    const kind = safeText(errorKind(m), NAME_CHARS);
    const reason = reasonGroup(errorReason(m));
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
    const ageMs = this.ageOf(m);
    const key = `${kind}\u0000${reason}`;
    const group = this.groups.get(key) ?? { kind, reason, count: 0, oldestAgeMs: ageMs, example: m };
    group.count += 1;
    group.oldestAgeMs = oldestOf(group.oldestAgeMs, ageMs);
    this.groups.set(key, group);
    if (ageMs === undefined) return;
    this.bucketCounts[BUCKETS.findIndex(([, upTo]) => ageMs < upTo)] += 1;
    this.oldest = oldestOf(this.oldest, ageMs);
    this.newest = this.newest === undefined ? ageMs : Math.min(this.newest, ageMs);
    if (ageMs > DEFAULT_MAX_SAMPLE_AGE_MS) this.olderThanOneHour += 1;
  }

  ageOf(m: Message): number | undefined {
    const sent = sentTimestampMs(m);
    return sent === undefined ? undefined : Math.max(0, this.now() - sent);
  }

  summary(
    head: Pick<InspectSummary, 'queueUrl' | 'approximateVisible' | 'approximateInFlight' | 'truncated'>,
    exampleCount: number,
    exampleChars: number,
  ): InspectSummary {
    const groups = [...this.groups.values()].sort((a, b) => b.count - a.count);
    return {
      ...head,
      scanned: this.seen.size,
      byKind: [...this.kinds].map(([kind, count]) => ({ kind, count })).sort((a, b) => b.count - a.count),
      byReason: groups.map(({ kind, reason, count, oldestAgeMs }) => ({ kind, reason, count, oldestAgeMs })),
      ages: BUCKETS.map(([label, upToMs], i) => ({ label, upToMs, count: this.bucketCounts[i] ?? 0 })),
      oldestAgeMs: this.oldest,
      newestAgeMs: this.newest,
      olderThanOneHour: this.olderThanOneHour,
      examples: groups
        .slice(0, exampleCount)
        .map((g) => this.example(g.example, g.kind, g.reason, exampleChars)),
    };
  }

  private example(m: Message, kind: string, reason: string, exampleChars: number): InspectExample {
    const body = readableBody(m.Body ?? '');
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(m.MessageAttributes ?? {})) {
      const text = value.StringValue ?? `(${value.DataType ?? 'binary'})`;
      const limit = name === 'bridge-error' ? REASON_CHARS : ATTRIBUTE_VALUE_CHARS;
      attributes[safeText(name, NAME_CHARS)] = safeText(text, limit);
    }
    return {
      messageId: safeText(m.MessageId ?? '', NAME_CHARS),
      kind,
      reason,
      ageMs: this.ageOf(m),
      body: safeText(body.text, exampleChars),
      bodyEncoding: body.encoding,
      attributes,
    };
  }
}

export async function inspectQueue(options: InspectOptions): Promise<InspectSummary> {
  const { sqs, queueUrl } = options;
  const max = options.max ?? 1000;
  const idleReceives = options.idleReceives ?? 3;
  const queue = await describeQueue(sqs, queueUrl, '--queue');
  const tally = new InspectTally(options.nowMs ?? Date.now);
  let idle = 0;
  while (tally.seen.size < max && !isAborted(options.signal)) {
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
      if (id === undefined || tally.seen.has(id) || tally.seen.size >= max) continue;
      tally.seen.add(id);
      fresh += 1;
      tally.account(m);
    }
    idle = fresh === 0 ? idle + 1 : 0;
    if (idle >= idleReceives) break;
    if (fresh > 0) options.onProgress?.(tally.seen.size);
  }
  return tally.summary(
    {
      queueUrl: safeText(queueUrl, 2048),
      approximateVisible: queue.visible,
      approximateInFlight: queue.inFlight,
      truncated: tally.seen.size >= max,
    },
    options.examples ?? 5,
    options.exampleChars ?? BODY_CHARS,
  );
}
