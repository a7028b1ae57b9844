// The whole pure pipeline for one SQS batch: decode → normalise → group/sort/dedupe → split. What comes out is
// ready to encode and send, with every message accounted for: it has samples in the planned requests, is listed
// as invalid, or (when planning reached its deadline) is listed as deferred.
import { DEFAULT_PIPELINE_CONFIG, type PipelineConfig } from './config.js';
import { decodeMessage, type DecodeOptions } from './decode/index.js';
import { insideWindow } from './decode/sample-window.js';
import type { ScannedObject } from './decode/scanned-object.js';
import { InvalidMessageError } from './errors.js';
import type {
  DecodedMessage,
  DecodedSample,
  SampleColumns,
  SeriesIdentity,
  SeriesRange,
  SourceMessage,
  WriteBatch,
} from './model.js';
import { SampleNormaliser } from './normalise.js';
import type { PlanWorkspace } from './plan-workspace.js';
import type { OneOffSeries } from './one-off-series.js';
import type { SampleTable } from './sample-table.js';
import type { LabelSet } from './series-cache.js';
import { groupSeries } from './series.js';
import { splitIntoBatches } from './split.js';

export interface MessageFailure {
  /** Index of the message in the batch. */
  readonly index: number;
  readonly messageId: string;
  readonly error: InvalidMessageError;
}

export interface BatchStats {
  readonly messages: number;
  /** Samples in the planned requests, after de-duplication. */
  readonly samples: number;
  readonly series: number;
  readonly duplicatesDropped: number;
  readonly conflictsDropped: number;
  /** SenML records without a numeric value (`vs`/`vd` only), skipped by design. */
  readonly skippedRecords: number;
  /** The oldest sample timestamp in the planned requests, for the ingest-lag metric. */
  readonly oldestTimestampMs?: number;
}

export interface BatchPlan {
  /** Requests in send order. */
  readonly batches: WriteBatch[];
  /**
   * For each batch, the earlier batches holding earlier samples of one of its series: it may be sent only after
   * they were written. Batches without prerequisites between them may be sent concurrently.
   */
  readonly after: ReadonlyArray<readonly number[]>;
  /** Messages that can never succeed; they are dead-lettered with kind `invalid-message`. */
  readonly invalid: MessageFailure[];
  /**
   * Indices of the messages not planned because the deadline (PlanOptions.deadlineMs) came first, ascending; the
   * handler returns them as batch item failures, so SQS delivers them again.
   */
  readonly deferred: readonly number[];
  readonly stats: BatchStats;
  /**
   * Says the plan's requests are no longer needed, so the planner may reuse their memory for its next batch. A plan
   * never released stays valid: the planner then takes new memory.
   */
  readonly release: () => void;
}

function asInvalid(error: unknown, message: SourceMessage): InvalidMessageError {
  if (error instanceof InvalidMessageError) {
    return error.messageId === message.messageId ? error : error.withMessageId(message.messageId);
  }
  // A decoder bug must not fail the batch or lose the message: it is dead-lettered with the error text.
  const text = error instanceof Error ? error.message : String(error);
  return new InvalidMessageError(message.messageId, '', `could not be decoded: ${text}`);
}

/**
 * Adds the samples of a scanned Sample/Report body to the table. False when its labels or a metric name are
 * invalid: the caller then drops what was added and decodes the message the slow way, which names the problem.
 */
function addScanned(
  body: ScannedObject<LabelSet, SeriesIdentity>,
  message: SourceMessage,
  index: number,
  normaliser: SampleNormaliser,
  workspace: PlanWorkspace,
  limits: MessageLimits,
): boolean {
  const table = workspace.table;
  const text = message.body;
  // Over the cap, or outside the window: decodeMessage names the problem.
  if (body.count > limits.maxSamples) return false;
  const timestampMs = body.timestampMs === body.timestampMs ? body.timestampMs : message.sentTimestampMs;
  if (limits.window !== undefined && !insideWindow(timestampMs, message.sentTimestampMs, limits.window))
    return false;
  let labels = body.labels;
  if (labels === undefined) {
    const { labelsStart, labelsEnd } = body;
    labels = normaliser.knownLabels(text, labelsStart, labelsEnd);
    if (
      labels === undefined &&
      normaliser.takesOneOff(
        text,
        labelsStart,
        labelsEnd,
        normaliser.labelsHash(text, labelsStart, labelsEnd),
      ) &&
      addOneOff(body, text, index, timestampMs, normaliser.oneOff, workspace)
    )
      return true;
    labels ??= normaliser.labelsOfScanned(text, labelsStart, labelsEnd, message.messageId);
    if (labels === undefined) return false;
  }
  if (body.ids !== undefined) {
    // Read through a template: its series ids are known, and their objects need not be reached.
    addRows(table, body.ids, body.count, timestampMs, body.values, index);
    return true;
  }
  // The series are collected only to learn a template; setting an array's length to 0 would free its storage
  // and cost an allocation per message.
  const learning = !body.viaTemplate && normaliser.scanMemory.mayLearnTemplate(labels, text.length);
  const resolved = workspace.resolvedSeries;
  const ids = workspace.rowSeries(body.count);
  for (let i = 0; i < body.count; i++) {
    const series =
      body.series[i] ??
      normaliser.seriesOfScanned(labels, text, body.nameStart[i]!, body.nameEnd[i]!, i, message.messageId);
    if (series === undefined) return false;
    if (learning) resolved[i] = series;
    ids[i] = series.id;
  }
  addRows(table, ids, body.count, timestampMs, body.values, index);
  if (learning) normaliser.scanMemory.learnTemplate(labels, text, body, resolved);
  return true;
}

/**
 * Adds the samples of a scanned body as series of the label set oneOff took last. False when a metric name is one
 * the one-off path does not take: nothing is then left in oneOff, and the caller decodes the message the slow way.
 */
function addOneOff(
  body: ScannedObject<LabelSet, SeriesIdentity>,
  text: string,
  index: number,
  timestampMs: number,
  oneOff: OneOffSeries,
  workspace: PlanWorkspace,
): boolean {
  const mark = oneOff.count;
  const ids = workspace.rowSeries(body.count);
  for (let i = 0; i < body.count; i++) {
    const k = oneOff.add(text, body.nameStart[i]!, body.nameEnd[i]!, i);
    if (k < 0) {
      oneOff.rollback(mark);
      return false;
    }
    // Row series ids of one-off series are negative: ~k (see groupSeries).
    ids[i] = ~k;
  }
  addRows(workspace.table, ids, body.count, timestampMs, body.values, index);
  return true;
}

/**
 * Adds `count` rows of message `index`: series ids[i], value values[i], all at `timestampMs`. The columns are
 * written here rather than through push(): a double passed to a call V8 does not inline is boxed.
 */
function addRows(
  table: SampleTable,
  ids: Int32Array,
  count: number,
  timestampMs: number,
  values: Float64Array,
  index: number,
): void {
  table.reserve(count);
  const { series, timestampMs: time, value, stale, message } = table;
  let row = table.length;
  for (let i = 0; i < count; i++) {
    series[row] = ids[i]!;
    time[row] = timestampMs;
    value[row] = values[i]!;
    stale[row] = 0;
    message[row] = index;
    row++;
  }
  table.length = row;
}

/** What each message is checked against while it is added (DecodeOptions with the cap always set). */
interface MessageLimits extends DecodeOptions {
  readonly maxSamples: number;
}

/** What addMessages found besides the rows. */
interface AddedMessages {
  readonly skippedRecords: number;
  /** Messages looked at before the deadline: the rest are deferred. */
  readonly planned: number;
}

/**
 * Adds every message's samples to the table, or the message to `invalid`, until the deadline. A function of its
 * own so that V8's optimised code for this loop has nothing after it that the loop had not reached yet (which
 * otherwise discarded that code on every batch).
 */
/**
 * Reading the clock costs more than planning a small message, so planning reads it before the first message
 * and then once at least this many characters of bodies were planned since: work per character is bounded, so
 * the deadline is overshot by at most this much planning.
 */
const CLOCK_READ_CHARS = 32_768;

/**
 * Adds a decoded message's samples, their label sets one-off where the cache does not hold them. False when the
 * one-off path declined a labels object or a name: the caller then drops what was added and adds the message
 * the cache's way, which names any error.
 */
function addDecoded(
  samples: readonly DecodedSample[],
  message: SourceMessage,
  index: number,
  normaliser: SampleNormaliser,
  table: SampleTable,
): boolean {
  normaliser.startDecodedMessage();
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i]!;
    const series = normaliser.rowSeriesOf(sample, message.messageId, i);
    if (series === undefined) return false;
    table.push(series, sample.timestampMs, sample.value, sample.stale === true, index);
  }
  return true;
}

function addMessages(
  messages: readonly SourceMessage[],
  normaliser: SampleNormaliser,
  invalid: MessageFailure[],
  limits: MessageLimits,
  options: PlanOptions,
): AddedMessages {
  const workspace = normaliser.workspace;
  const { table, scanner, scanned } = workspace;
  const scan = options.scan !== false;
  const oneOff = options.oneOff !== false;
  const { deadlineMs } = options;
  const now = options.now ?? Date.now;
  let skippedRecords = 0;
  let unclocked = CLOCK_READ_CHARS;
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index] as SourceMessage;
    if (deadlineMs !== undefined && unclocked >= CLOCK_READ_CHARS) {
      unclocked = 0;
      if (now() >= deadlineMs) return { skippedRecords, planned: index };
    }
    unclocked += message.body.length;
    const before = table.length;
    normaliser.cache.nextBody();
    if (
      scan &&
      scanner.scan(message.body, scanned, normaliser.scanMemory) &&
      addScanned(scanned, message, index, normaliser, workspace, limits)
    )
      continue;
    table.truncate(before);
    const oneOffMark = normaliser.oneOff.count;
    try {
      const decoded = (options.decode ?? decodeMessage)(message, limits);
      skippedRecords += decoded.skippedRecords;
      if (oneOff && addDecoded(decoded.samples, message, index, normaliser, table)) continue;
      table.truncate(before);
      normaliser.oneOff.rollback(oneOffMark);
      for (const sample of decoded.samples) {
        const series = normaliser.seriesOf(sample, message.messageId);
        table.push(series.id, sample.timestampMs, sample.value, sample.stale === true, index);
      }
    } catch (error) {
      // One bad sample makes the whole message invalid: its other samples are not written, so a replay after
      // the device is fixed does not meet half of them already stored.
      table.truncate(before);
      normaliser.oneOff.rollback(oneOffMark);
      invalid.push({ index, messageId: message.messageId, error: asInvalid(error, message) });
    }
  }
  return { skippedRecords, planned: messages.length };
}

export interface PlanOptions {
  /**
   * Whether plain Sample/Report bodies take the direct scanner (decode/object-scanner.ts) instead of
   * decodeMessage. Both yield the same plan; tests compare them with this switch.
   * @default true
   */
  readonly scan?: boolean;
  /**
   * Whether the label sets of decoded messages (routes, and bodies the scanner stepped aside for) that the series
   * cache does not hold are written one-off (one-off-series.ts) rather than interned. Both yield the same plan;
   * tests compare them with this switch (and `scan: false, oneOff: false` with the scanner's own one-off path).
   * @default true
   */
  readonly oneOff?: boolean;
  /**
   * When planning must stop, on the `now` clock: messages not reached by then are listed in BatchPlan.deferred.
   * The clock is read before the first message and after every 32 KB of bodies.
   * @default no deadline
   */
  readonly deadlineMs?: number;
  /** The clock deadlineMs is read on. @default Date.now */
  readonly now?: () => number;
  /**
   * Decodes a body the scanner did not take, with the window and cap it must apply (routes: RouteDecoder).
   * @default decodeMessage
   */
  readonly decode?: (message: SourceMessage, options: DecodeOptions) => DecodedMessage;
}

// planBatch's loops are functions of their own: V8 compiled a loop on the stack before the code after it had run,
// and threw that code away there on every batch.

/** from, from + 1, …, to - 1. */
function indexesFrom(from: number, to: number): number[] {
  const indexes: number[] = [];
  for (let index = from; index < to; index++) indexes.push(index);
  return indexes;
}

/** The oldest first timestamp of the series (Infinity for none). */
function oldestTimestamp(columns: SampleColumns, series: readonly SeriesRange[]): number {
  let oldest = Infinity;
  for (let k = 0; k < series.length; k++) {
    const first = columns.timestampMs[series[k]!.start]!;
    if (first < oldest) oldest = first;
  }
  return oldest;
}

/** Plans the remote-write requests for one batch of messages. Never throws for bad input. */
export function planBatch(
  messages: readonly SourceMessage[],
  config: PipelineConfig = DEFAULT_PIPELINE_CONFIG,
  normaliser: SampleNormaliser = new SampleNormaliser(config),
  options: PlanOptions = {},
): BatchPlan {
  normaliser.startBatch();
  const { table, grouping } = normaliser.workspace;
  table.clear();
  const invalid: MessageFailure[] = [];
  const limits = { maxSamples: config.limits.maxSamplesPerMessage, window: config.sampleWindow };
  const added = addMessages(messages, normaliser, invalid, limits, options);
  const deferred = indexesFrom(added.planned, messages.length);

  const oneOff = normaliser.oneOff.count > 0 ? normaliser.oneOff.lend() : undefined;
  const { series, columns, stats } = groupSeries(
    table,
    normaliser.identities,
    messages,
    grouping,
    oneOff,
    normaliser.cache.fields,
  );
  const { batches, after } = splitIntoBatches(columns, series, config.request);

  const oldest = oldestTimestamp(columns, series);
  return {
    batches,
    after,
    invalid,
    deferred,
    stats: {
      messages: messages.length,
      samples: columns.timestampMs.length,
      series: series.length,
      duplicatesDropped: stats.duplicatesDropped,
      conflictsDropped: stats.conflictsDropped,
      skippedRecords: added.skippedRecords,
      ...(oldest === Infinity ? {} : { oldestTimestampMs: oldest }),
    },
    release: () => {
      if (oneOff !== undefined) normaliser.oneOff.release(oneOff.bytes);
      grouping.releaseOutput(columns.timestampMs);
    },
  };
}
