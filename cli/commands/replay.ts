// `iotprom replay`: its options, the preflight refusals and the progress and summary output; the move is cli/replay/.
import { Command, Option } from 'commander';
import { interruptOnSignals } from '../abort.js';
import { globalOptions, type CommandContext } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { duration, positiveInteger, rate, regex, scanWaitOption, seconds } from '../options.js';
import { formatAge, printJson, printLine, progressBar, warn } from '../output.js';
import { nativeRedrive } from '../replay/native-redrive.js';
import { checkReplayRoute, describeQueue, KIND_CHOICES, kindList } from '../replay/preflight.js';
import { formatDuration, replay, type ReplaySummary } from '../replay/replay.js';
import { DEFAULT_MAX_SAMPLE_AGE_MS, pipelineDecoder } from '../replay/sample-age.js';
import { deadLetterSourceQueue } from '../replay/source-queue.js';
import { NAME_CHARS, safeText } from '../safe-text.js';
import { createSqsClient } from '../sqs/client.js';

interface ReplayFlags {
  from: string;
  to?: string;
  dryRun?: boolean;
  limit?: number;
  rate?: number;
  kind?: string[];
  reason?: RegExp;
  maxSampleAge: number;
  visibilityTimeout: number;
  wait: number;
  concurrency: number;
  native?: boolean;
  force?: boolean;
}

type Global = ReturnType<typeof globalOptions>;
type Sqs = ReturnType<typeof createSqsClient>;

export function replayCommand(context: CommandContext): Command {
  return new Command('replay')
    .summary('move dead-lettered messages back to a queue')
    .description(
      'Moves messages from a dead-letter queue back to a queue, body and message attributes intact except the ' +
        'bridge-* attributes the bridge added. Each message is deleted from the dead-letter queue only after SQS ' +
        'confirmed its copy sent: a crash midway can duplicate a message, never lose one. Messages the filters ' +
        'refuse are made visible again at once.',
    )
    .requiredOption('--from <dlq-url>', 'dead-letter queue to move messages from')
    .option('--to <queue-url>', "queue to move them to (default: the dead-letter queue's source queue)")
    .option('--dry-run', 'receive and count what would move, move nothing')
    .option('--limit <n>', 'move at most n messages', positiveInteger)
    .option('--rate <n/s>', 'at most n messages per second', rate)
    .option(
      '--kind <kinds>',
      `only these bridge-error-kind values (comma-separated, repeatable): ${KIND_CHOICES.join(', ')} ` +
        '("none" = moved by SQS without a reason)',
      kindList,
    )
    .option('--reason <regex>', 'only messages whose bridge-error matches', regex)
    .addOption(
      new Option('--max-sample-age <duration>', 'warn about samples older than this (AMP: 1h)')
        .argParser(duration)
        .default(DEFAULT_MAX_SAMPLE_AGE_MS, '1h'),
    )
    .addOption(
      new Option('--visibility-timeout <seconds>', 'how long a message in hand stays hidden')
        .argParser(seconds)
        .default(60),
    )
    .option('--force', "replay even when --to's redrive policy does not name --from as its dead-letter queue")
    .option(
      '--native',
      "use SQS's own redrive (StartMessageMoveTask): no filters, new message ids, keeps bridge-* attributes",
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  npx iotprom inspect --queue "$DLQ"\n' +
        '  npx iotprom replay --from "$DLQ" --to "$QUEUE" --dry-run\n' +
        '  npx iotprom replay --from "$DLQ" --to "$QUEUE" --kind rejected-by-receiver --rate 100/s\n',
    )
    .addOption(
      new Option('--concurrency <n>', 'batches in hand at once (receive, send, delete side by side)')
        .argParser(positiveInteger)
        .default(1),
    )
    .addOption(scanWaitOption())
    .action(async (flags: ReplayFlags, command: Command) => {
      const global = globalOptions(command);
      const filtered = (flags.kind?.length ?? 0) > 0 || flags.reason !== undefined;
      if (flags.native === true && (filtered || flags.dryRun === true || flags.limit !== undefined)) {
        throw new CliError(
          '--native cannot filter, limit or dry-run: drop --kind/--reason/--limit/--dry-run',
          ExitCode.usage,
        );
      }
      const sqs = createSqsClient(global, flags.from);
      const interruption = interruptOnSignals(() =>
        warn('stopping after the batch in hand (Ctrl-C again to quit now)'),
      );
      try {
        if (flags.native === true) await runNative(context, global, sqs, flags, interruption.signal);
        else await runReplay(context, global, sqs, flags, interruption.signal);
      } finally {
        interruption.dispose();
      }
    });
}

async function runReplay(
  context: CommandContext,
  global: Global,
  sqs: Sqs,
  flags: ReplayFlags,
  signal: AbortSignal,
): Promise<void> {
  const to = flags.to ?? (await deadLetterSourceQueue(sqs, flags.from));
  const route = await checkReplayRoute(sqs, { from: flags.from, to, force: flags.force === true });
  const total = Math.min(flags.limit ?? Number.POSITIVE_INFINITY, route.from.visible);
  const bar = progressBar(
    global,
    'replay |{bar}| {value}/{total} scanned: {scanned} moved: {moved} failed: {failed}',
    total,
    { scanned: 0, matched: 0, moved: 0, failed: 0 },
  );
  const summary = await replay({
    sqs,
    from: flags.from,
    to,
    dryRun: flags.dryRun,
    limit: flags.limit,
    ratePerSecond: flags.rate,
    filter: { kinds: flags.kind, reason: flags.reason },
    maxSampleAgeMs: flags.maxSampleAge,
    visibilityTimeoutSeconds: flags.visibilityTimeout,
    waitTimeSeconds: Math.min(20, Math.round(flags.wait)),
    concurrency: flags.concurrency,
    decoder: pipelineDecoder,
    signal,
    onProgress: (p) => bar.update(flags.dryRun === true ? p.matched : p.moved + p.failed, { ...p }),
    onWarning: (w) => {
      if (!global.json) warn(w);
    },
  });
  bar.stop();
  const shown = { ...summary, failures: summary.failures.map(safeFailure) };
  if (global.json) printJson(shown);
  else printSummary(shown);
  context.exitCode = summary.interrupted
    ? ExitCode.interrupted
    : summary.sendFailed + summary.sentNotDeleted > 0
      ? ExitCode.partial
      : ExitCode.ok;
}

/** SQS's failure text can quote what it refused: printed like message data. */
function safeFailure(f: ReplaySummary['failures'][number]): ReplaySummary['failures'][number] {
  return {
    stage: f.stage,
    messageId: safeText(f.messageId, NAME_CHARS),
    code: safeText(f.code, NAME_CHARS),
    message: safeText(f.message, 200),
  };
}

async function runNative(
  context: CommandContext,
  global: Global,
  sqs: Sqs,
  flags: ReplayFlags,
  signal: AbortSignal,
): Promise<void> {
  const from =
    flags.to === undefined
      ? await describeQueue(sqs, flags.from, '--from')
      : (await checkReplayRoute(sqs, { from: flags.from, to: flags.to, force: flags.force === true })).from;
  const bar = progressBar(global, 'native redrive |{bar}| {value}/{total}', from.visible);
  const summary = await nativeRedrive({
    sqs,
    from: flags.from,
    to: flags.to,
    ratePerSecond: flags.rate,
    signal,
    onProgress: (moved, toMove) => {
      if (toMove !== undefined) bar.setTotal(toMove);
      bar.update(moved);
    },
  });
  bar.stop();
  if (global.json) printJson({ native: true, from: flags.from, to: flags.to ?? null, ...summary });
  else {
    printLine(
      `native redrive task ${summary.taskHandle}: ${summary.status}, ${summary.moved} messages moved`,
    );
    if (summary.failureReason !== undefined) printLine(`  failure: ${summary.failureReason}`);
    if (summary.status === 'RUNNING')
      printLine('  still running on the SQS side; CancelMessageMoveTask stops it');
  }
  context.exitCode =
    summary.status === 'COMPLETED'
      ? ExitCode.ok
      : summary.status === 'RUNNING'
        ? ExitCode.interrupted
        : ExitCode.partial;
}

function printSummary(s: ReplaySummary): void {
  const rateText = `${s.messagesPerSecond} msg/s`;
  if (s.dryRun) {
    printLine(
      `dry run: ${s.matched} of ${s.scanned} messages in ${s.from} would be replayed to ${s.to}; nothing was moved`,
    );
  } else {
    printLine(
      `replayed ${s.moved} of ${s.matched} matching messages (${s.scanned} scanned) from ${s.from} to ${s.to} ` +
        `in ${formatAge(s.elapsedMs)} (${rateText})`,
    );
  }
  if (s.skipped > 0) printLine(`  left in place by the filters or the limit: ${s.skipped}`);
  if (s.sendFailed > 0) printLine(`  not sent, still in the dead-letter queue: ${s.sendFailed}`);
  if (s.sentNotDeleted > 0) {
    printLine(
      `  sent but not deleted, now in both queues (the bridge drops duplicate samples): ${s.sentNotDeleted}`,
    );
  }
  if (s.tooOld > 0) {
    printLine(
      `  warning: ${s.tooOld} messages carry samples older than ${formatDuration(s.maxSampleAgeMs)}; AMP discards them` +
        (s.tooOldBySentTimestamp > 0 ? ` (${s.tooOldBySentTimestamp} judged by SentTimestamp)` : ''),
    );
  }
  for (const f of s.failures) printLine(`  ${f.stage} failed for ${f.messageId}: ${f.code} ${f.message}`);
  if (s.interrupted) printLine('  interrupted: run the same command again to continue');
}
